/**
 * An always-valid sequential test of "challenger and champion have the same rate": the mixture
 * sequential probability ratio test (mSPRT) with a normal mixing distribution, on the normal
 * approximation of the estimated difference (Johari, Koomen, Pekelis & Walsh, "Always Valid
 * Inference: Continuous Monitoring of A/B Tests", Operations Research 2022; the basis of
 * Optimizely's Stats Engine). A fixed-horizon z-test checked after every batch of impressions
 * rejects a true null far more often than alpha; the mSPRT may be checked as often as wanted.
 *
 * Model: the observed difference d (challenger − champion) is N(θ, V), with V the variance of
 * the estimate at this look; H0 is θ = 0; the alternative mixes θ ~ N(0, τ²). The likelihood
 * ratio of the mixture against H0 integrates to
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² d² / (2V (V + τ²)))
 *
 * and by Ville's inequality P_H0(Λ ever reaches 1/α) <= α. The always-valid p-value is the
 * running minimum of min(1, 1/Λ) over the looks.
 *
 * Inputs at each look: d = p₂ − p₁ and V = p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂ (absoluteLift's
 * estimate and standardError²), or, with users as the unit, clusteredDifferenceTest's
 * difference and standardError².
 *
 * Picking τ²: τ is the size of difference the test is tuned to find quickly, so τ² is the
 * square of a plausible absolute effect, e.g. a 10% relative lift on a 3% CTR gives τ = 0.003,
 * τ² = 9e-6 (defaultMixingVariance). A τ far smaller than the true effect, or far larger, only
 * delays the decision; validity holds for any τ² > 0 fixed before the experiment starts.
 * Choosing or changing τ² after looking at the data breaks the guarantee.
 */
import { requireFinite, requireOpenUnit, requirePositive } from './argument-checks.js';

export interface MsprtInput {
  /** Estimated difference challenger − champion at this look. */
  readonly difference: number;
  /** Variance of the difference estimate at this look (V). */
  readonly variance: number;
  /** τ², the variance of the normal mixing distribution over the true difference. */
  readonly mixingVariance: number;
  /** Type I error bound over all looks; default 0.05. */
  readonly alpha?: number;
  /**
   * The alwaysValidPValue of the previous look, if any: the always-valid p-value is a running
   * minimum, so pass it to carry the minimum (and a rejection) forward.
   */
  readonly previousPValue?: number;
}

export interface MsprtResult {
  /** Λ at this look (may be Infinity for overwhelming evidence). */
  readonly likelihoodRatio: number;
  /** 1 / alpha. */
  readonly threshold: number;
  /** Λ >= 1/alpha now, or the previous p-value was already <= alpha: stop and declare a difference. */
  readonly reject: boolean;
  /** min(previousPValue, 1, 1/Λ). */
  readonly alwaysValidPValue: number;
}

function checkVariances(variance: number, mixingVariance: number, alpha: number): void {
  requirePositive('variance', variance);
  requirePositive('mixingVariance', mixingVariance);
  requireOpenUnit('alpha', alpha);
}

/** ln Λ, computed in logs so a large d²/V cannot overflow before the comparison. */
function logLikelihoodRatio(difference: number, variance: number, mixingVariance: number): number {
  const total = variance + mixingVariance;
  return 0.5 * Math.log(variance / total) + (mixingVariance * difference * difference) / (2 * variance * total);
}

/** One look of the mSPRT (formula above). */
export function msprt(input: MsprtInput): MsprtResult {
  const { difference, variance, mixingVariance, alpha = 0.05, previousPValue } = input;
  requireFinite('difference', difference);
  checkVariances(variance, mixingVariance, alpha);
  if (previousPValue !== undefined && !(previousPValue >= 0 && previousPValue <= 1)) {
    throw new RangeError(`previousPValue must be between 0 and 1, got ${previousPValue}`);
  }
  const likelihoodRatio = Math.exp(logLikelihoodRatio(difference, variance, mixingVariance));
  const threshold = 1 / alpha;
  const alwaysValidPValue = Math.min(previousPValue ?? 1, 1, 1 / likelihoodRatio);
  const reject = likelihoodRatio >= threshold || (previousPValue !== undefined && previousPValue <= alpha);
  return { likelihoodRatio, threshold, reject, alwaysValidPValue };
}

/**
 * The |difference| at which Λ = 1/α for this V and τ², from solving the formula above:
 *   |d| = √( (2V(V + τ²)/τ²) · (ln(1/α) + ½ ln((V + τ²)/V)) ).
 * Useful to show how far the estimate is from a decision, and to check msprt().
 */
export function msprtBoundary(variance: number, mixingVariance: number, alpha = 0.05): number {
  checkVariances(variance, mixingVariance, alpha);
  const total = variance + mixingVariance;
  return Math.sqrt(((2 * variance * total) / mixingVariance) * (-Math.log(alpha) + 0.5 * Math.log(total / variance)));
}

/**
 * A default τ² for a difference of two rates around the base rate p: the square of a
 * relativeEffect (default 10%) lift, (relativeEffect · p)². Use the champion's historical CTR,
 * fixed before the experiment starts, not the rate observed during it.
 */
export function defaultMixingVariance(p: number, relativeEffect = 0.1): number {
  requireOpenUnit('p', p);
  requirePositive('relativeEffect', relativeEffect);
  return (relativeEffect * p) ** 2;
}
