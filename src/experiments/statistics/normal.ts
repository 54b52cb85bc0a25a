/**
 * The standard normal distribution (CDF, quantile, two-sided helpers) and the chi-square upper
 * tail, all built on the regularized incomplete gamma function, so no table or dependency is
 * needed and tails keep their relative precision (normalCdf(-10) is 7.6e-24, not 0).
 */
import { requireOpenUnit, requirePositive } from './argument-checks.js';
import { regularizedGammaQ } from './incomplete-gamma.js';

/** Upper tail of |Z|: P(|Z| > |z|) = erfc(|z| / √2) = Q(1/2, z² / 2). */
function twoTail(z: number): number {
  return regularizedGammaQ(0.5, (z * z) / 2);
}

/** Φ(z) = P(Z <= z) for the standard normal Z. Absolute error ~1e-16, relative ~1e-15 in the lower tail. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('z must be a number, got NaN');
  if (z === -Infinity) return 0;
  if (z === Infinity) return 1;
  // Compute the smaller tail directly and take the complement only for the larger one.
  return z < 0 ? 0.5 * twoTail(z) : 1 - 0.5 * twoTail(z);
}

// Acklam's rational approximations of the normal quantile (relative error < 1.15e-9).
const CENTRAL_NUMERATOR: readonly number[] = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const CENTRAL_DENOMINATOR: readonly number[] = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1, 1,
];
const TAIL_NUMERATOR: readonly number[] = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const TAIL_DENOMINATOR: readonly number[] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416, 1];
const TAIL_START = 0.02425;

function polynomial(coefficients: readonly number[], x: number): number {
  return coefficients.reduce((accumulated, coefficient) => accumulated * x + coefficient, 0);
}

/** Acklam's approximation for 0 < p <= 0.5. */
function acklamLowerHalf(p: number): number {
  if (p < TAIL_START) {
    const q = Math.sqrt(-2 * Math.log(p));
    return polynomial(TAIL_NUMERATOR, q) / polynomial(TAIL_DENOMINATOR, q);
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(CENTRAL_NUMERATOR, r) * q) / polynomial(CENTRAL_DENOMINATOR, r);
}

/**
 * Φ⁻¹(p): Acklam's approximation refined by one Halley step against normalCdf, which takes
 * its 1e-9 relative error to about 1e-15. p = 0 and 1 give -Infinity and Infinity.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be between 0 and 1, got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  // Work in the lower half, where normalCdf has full relative precision; 1 - p is exact for p >= 0.5.
  if (p > 0.5) return -normalQuantile(1 - p);
  const x = acklamLowerHalf(p);
  const u = (normalCdf(x) - p) * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  // For p near the smallest doubles exp(x²/2) overflows; Acklam's 1e-9 is kept there.
  return Number.isFinite(u) ? x - u / (1 + (x * u) / 2) : x;
}

/** The z with P(-z < Z < z) = confidence: 1.959963984540054 for 0.95. */
export function twoSidedCriticalValue(confidence: number): number {
  requireOpenUnit('confidence', confidence);
  // -Φ⁻¹(α/2) rather than Φ⁻¹(1 - α/2): the lower tail keeps precision for confidences near 1.
  return -normalQuantile((1 - confidence) / 2);
}

/** P(|Z| >= |z|), the two-sided p-value of a z statistic. */
export function twoSidedPValue(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('z must be a number, got NaN');
  if (!Number.isFinite(z)) return 0;
  return twoTail(z);
}

/** P(X > x) for X chi-square with df degrees of freedom: Q(df/2, x/2). Relative error ~1e-14 for df 1..50. */
export function chiSquareSurvival(x: number, df: number): number {
  requirePositive('df', df);
  if (Number.isNaN(x)) throw new RangeError('x must be a number, got NaN');
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}
