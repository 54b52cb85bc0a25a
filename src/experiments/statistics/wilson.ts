/**
 * The Wilson score interval for one proportion (a CTR with impressions as the unit). Unlike the
 * Wald interval it stays inside [0, 1] and keeps its coverage for small counts and rates near
 * 0 or 1, which is where a fresh challenger's CTR lives.
 */
import { requireProportion } from './argument-checks.js';
import { twoSidedCriticalValue } from './normal.js';

export interface ProportionInterval {
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson score interval without continuity correction (statsmodels `proportion_confint(...,
 * method='wilson')`): with p̂ = x/n and z the two-sided critical value,
 *   centre = (p̂ + z²/(2n)) / (1 + z²/n),  half = z/(1 + z²/n) · √(p̂(1-p̂)/n + z²/(4n²)).
 * No trials means no information: [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): ProportionInterval {
  requireProportion('successes', successes, 'trials', trials);
  const z = twoSidedCriticalValue(confidence);
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  // At x = 0 (x = n) the bound is exactly 0 (1); pin it so rounding cannot leave -1e-18.
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === trials ? 1 : Math.min(1, centre + half),
  };
}
