/**
 * CTR when the randomisation unit is the user. The router assigns users, not impressions, and a
 * user's impressions are correlated (some users click a lot), so treating impressions as
 * independent understates the variance and inflates false positives. The fix is to treat each
 * user as one observation (y = clicks, x = impressions) and the CTR as the ratio of means
 * R = Σy / Σx = ȳ / x̄, whose variance comes from the delta method (Deng, Knoblich & Lu, "Applying
 * the Delta Method in Metric Analytics", KDD 2018, §3.3):
 *
 *   Var(R) ≈ (1 / (n · x̄²)) · (s_y² − 2R · s_xy + R² · s_x²)
 *
 * with n users, x̄ the mean impressions per user, and s_y², s_x², s_xy the sample (n − 1)
 * variances and covariance of clicks and impressions per user. (Equivalently
 * Σ(yᵢ − R·xᵢ)² / (n(n − 1)·x̄²), since ȳ − R·x̄ = 0.)
 */
import { requireNonNegative } from './argument-checks.js';
import { twoSidedCriticalValue, twoSidedPValue } from './normal.js';

/**
 * Units below which the delta method's variance is itself too noisy to lean on: the normal
 * approximation of a ratio of means wants a few dozen clusters (30 is the usual rule of thumb).
 */
export const MIN_RELIABLE_UNITS = 30;

/** One randomisation unit (user): its impressions and clicks in one arm. */
export interface ClusterUnit {
  readonly impressions: number;
  readonly clicks: number;
}

export interface ClusteredRatio {
  /** Σ clicks / Σ impressions. */
  readonly ratio: number;
  /** Delta-method variance of the ratio (formula above). */
  readonly variance: number;
  readonly standardError: number;
  /** Number of units (n). */
  readonly units: number;
}

export interface ClusteredIntervalResult {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  readonly standardError: number;
}

export interface ClusteredDifferenceResult {
  /** difference / standardError; positive when the challenger's ratio is higher. */
  readonly z: number;
  /** Two-sided. */
  readonly pValue: number;
  /** challenger ratio − champion ratio. */
  readonly difference: number;
  /** √(Var(R_champion) + Var(R_challenger)): the arms hold different users, so they are independent. */
  readonly standardError: number;
}

/**
 * The ratio-of-means CTR of one arm with its delta-method variance. Needs at least two units
 * (a sample variance) and at least one impression; throws RangeError otherwise.
 */
export function clusteredRatio(units: readonly ClusterUnit[]): ClusteredRatio {
  const n = units.length;
  if (n < 2) throw new RangeError(`the delta method needs at least 2 units, got ${n}`);
  let sumX = 0;
  let sumY = 0;
  for (const [index, unit] of units.entries()) {
    requireNonNegative(`units[${index}].impressions`, unit.impressions);
    requireNonNegative(`units[${index}].clicks`, unit.clicks);
    sumX += unit.impressions;
    sumY += unit.clicks;
  }
  if (sumX === 0) throw new RangeError('the units have no impressions, so their ratio is undefined');
  const meanX = sumX / n;
  const meanY = sumY / n;
  const ratio = sumY / sumX;
  // Centred second pass: the moments stay accurate when counts are large and similar.
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const unit of units) {
    const dx = unit.impressions - meanX;
    const dy = unit.clicks - meanY;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const varianceX = sxx / (n - 1);
  const varianceY = syy / (n - 1);
  const covariance = sxy / (n - 1);
  const bracket = varianceY - 2 * ratio * covariance + ratio * ratio * varianceX;
  // The bracket equals Σ(y − Rx)²/(n − 1) >= 0; clamp the last-bit rounding that could make it negative.
  const variance = Math.max(0, bracket) / (n * meanX * meanX);
  return { ratio, variance, standardError: Math.sqrt(variance), units: n };
}

/** Wald interval ratio ± z·SE around the clustered ratio (not clamped to [0, 1]: a CTR's caller clamps it). */
export function clusteredInterval(units: readonly ClusterUnit[], confidence = 0.95): ClusteredIntervalResult {
  const z = twoSidedCriticalValue(confidence);
  const { ratio, standardError } = clusteredRatio(units);
  return { estimate: ratio, low: ratio - z * standardError, high: ratio + z * standardError, standardError };
}

/**
 * Two-sided z-test of R_challenger = R_champion with z = (R₂ − R₁) / √(Var(R₁) + Var(R₂)).
 * With no variance at all (every user of both arms has the same CTR) the test has nothing to
 * scale the difference by and reports no evidence: z = 0, p = 1.
 */
export function clusteredDifferenceTest(
  champion: readonly ClusterUnit[],
  challenger: readonly ClusterUnit[],
): ClusteredDifferenceResult {
  const first = clusteredRatio(champion);
  const second = clusteredRatio(challenger);
  const difference = second.ratio - first.ratio;
  const standardError = Math.sqrt(first.variance + second.variance);
  if (standardError === 0) return { z: 0, pValue: 1, difference, standardError };
  const z = difference / standardError;
  return { z, pValue: twoSidedPValue(z), difference, standardError };
}
