/**
 * Sample ratio mismatch (SRM): does the number of units each arm received fit the router's
 * configured weights? A mismatch means assignment or logging is broken (a crashing arm, a
 * filter acting on one arm, lost records), and then every CTR comparison of the experiment is
 * suspect. Tested with Pearson's chi-square goodness of fit; the conventional alarm level is
 * p < 0.001, strict because SRM checks run continuously on large counts (Fabijan et al.,
 * "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments", KDD 2019).
 */
import { requireNonNegative, requireOpenUnit } from './argument-checks.js';
import { chiSquareSurvival } from './normal.js';

export interface SampleRatioMismatchResult {
  /** Σ (observed − expected)² / expected over the arms with a positive weight. */
  readonly chiSquare: number;
  /** Arms with a positive weight, minus 1. */
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** pValue < threshold. */
  readonly mismatch: boolean;
}

/**
 * Pearson chi-square of observed counts per arm against the weights normalised to shares
 * (scipy `chisquare(observed, f_exp=total · weights / Σweights)`), with arms - 1 degrees of
 * freedom. An arm of weight 0 (switched off) expects nothing: it is left out of the statistic,
 * and any unit observed in it is a mismatch outright (chiSquare = Infinity, p = 0).
 * No units at all is no evidence: chiSquare 0, p 1.
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  weights: readonly number[],
  threshold = 0.001,
): SampleRatioMismatchResult {
  if (observed.length !== weights.length) {
    throw new RangeError(`observed has ${observed.length} arms but weights has ${weights.length}`);
  }
  requireOpenUnit('threshold', threshold);
  observed.forEach((count, index) => {
    requireNonNegative(`observed[${index}]`, count);
  });
  weights.forEach((weight, index) => {
    requireNonNegative(`weights[${index}]`, weight);
  });
  const arms = observed.map((count, index) => ({ count, weight: weights[index] ?? 0 }));
  const active = arms.filter((arm) => arm.weight > 0);
  if (active.length < 2) throw new RangeError(`a sample ratio test needs at least 2 arms with a positive weight, got ${active.length}`);
  const degreesOfFreedom = active.length - 1;
  if (arms.some((arm) => arm.weight === 0 && arm.count > 0)) {
    return { chiSquare: Infinity, degreesOfFreedom, pValue: 0, mismatch: true };
  }
  const total = active.reduce((sum, arm) => sum + arm.count, 0);
  if (total === 0) return { chiSquare: 0, degreesOfFreedom, pValue: 1, mismatch: false };
  const weightSum = active.reduce((sum, arm) => sum + arm.weight, 0);
  const chiSquare = active.reduce((sum, arm) => {
    const expected = (total * arm.weight) / weightSum;
    return sum + (arm.count - expected) ** 2 / expected;
  }, 0);
  const pValue = chiSquareSurvival(chiSquare, degreesOfFreedom);
  return { chiSquare, degreesOfFreedom, pValue, mismatch: pValue < threshold };
}
