import { clusteredDifferenceTest } from '../statistics/delta-method.js';
import { defaultMixingVariance, msprt } from '../statistics/msprt.js';
import { absoluteLift, relativeLift, twoProportionZTest } from '../statistics/two-proportion.js';
import type { ArmTally } from './arm-tally.js';

export type Verdict = 'challenger-better' | 'champion-better' | 'no-difference-yet';

export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

export interface MsprtOutcome {
  /** Variance of the difference estimate fed to the test, and where it came from. */
  readonly variance: number;
  readonly varianceSource: 'clustered' | 'wald';
  /** τ² of the normal mixing distribution. */
  readonly mixingVariance: number;
  readonly alpha: number;
  /** Λ; null when it overflowed (overwhelming evidence; `reject` is then true). */
  readonly likelihoodRatio: number | null;
  readonly threshold: number;
  readonly reject: boolean;
  readonly alwaysValidPValue: number;
}

/** The champion against one challenger. Signs are challenger minus champion. */
export interface ArmComparison {
  readonly champion: string;
  readonly challenger: string;
  readonly absoluteLift: Interval | null;
  readonly relativeLift: Interval | null;
  /** Two-proportion z-test on impressions (fixed horizon, impressions taken as independent). */
  readonly zTest: { readonly z: number; readonly pValue: number } | null;
  /** Delta-method test with units (users) as clusters; null when no arm has a unit with several impressions. */
  readonly clusteredTest: { readonly z: number; readonly pValue: number; readonly difference: number; readonly standardError: number } | null;
  /** The always-valid sequential test the verdict rests on; null when there is nothing to test yet (no clicks, no variance). */
  readonly msprt: MsprtOutcome | null;
  /** The fixed-horizon p-value to quote: the clustered test's when there is one, else the z-test's. */
  readonly fixedHorizonPValue: number | null;
  readonly verdict: Verdict;
}

export interface ComparisonOptions {
  readonly confidence: number;
  /** The mSPRT's type I error bound for this comparison (already split over the challengers). */
  readonly alpha: number;
  /** τ²; when absent, defaultMixingVariance of the champion's observed CTR (else the pooled CTR). */
  readonly mixingVariance?: number | undefined;
}

/** Statistics of champion versus challenger, each guarded for arms too small for it (then null). */
export function compareArms(champion: ArmTally, challenger: ArmTally, options: ComparisonOptions): ArmComparison {
  const [x1, n1, x2, n2] = [champion.clicked, champion.impressions, challenger.clicked, challenger.impressions];
  const hasTrials = n1 > 0 && n2 > 0;
  const absolute = hasTrials ? absoluteLift(x1, n1, x2, n2, options.confidence) : undefined;
  const relative = hasTrials && x1 > 0 && x2 > 0 ? relativeLift(x1, n1, x2, n2, options.confidence) : undefined;
  const zTest = hasTrials ? twoProportionZTest(x1, n1, x2, n2) : undefined;
  const clusterable = champion.units.length >= 2 && challenger.units.length >= 2 && hasTrials;
  const clustered = clusterable ? clusteredDifferenceTest(champion.units, challenger.units) : undefined;
  const showClustered = clustered !== undefined && (champion.maxImpressionsPerUnit > 1 || challenger.maxImpressionsPerUnit > 1);

  let outcome: MsprtOutcome | null = null;
  const variance = clustered !== undefined ? clustered.standardError ** 2 : absolute !== undefined ? absolute.standardError ** 2 : 0;
  const difference = clustered?.difference ?? absolute?.estimate;
  const mixingVariance = options.mixingVariance ?? observedMixingVariance(x1, n1, x2, n2);
  if (difference !== undefined && variance > 0 && mixingVariance !== undefined) {
    const result = msprt({ difference, variance, mixingVariance, alpha: options.alpha });
    outcome = {
      variance,
      varianceSource: clustered !== undefined ? 'clustered' : 'wald',
      mixingVariance,
      alpha: options.alpha,
      likelihoodRatio: Number.isFinite(result.likelihoodRatio) ? result.likelihoodRatio : null,
      threshold: result.threshold,
      reject: result.reject,
      alwaysValidPValue: result.alwaysValidPValue,
    };
  }
  const verdict: Verdict = outcome?.reject === true && difference !== undefined && difference !== 0 ? (difference > 0 ? 'challenger-better' : 'champion-better') : 'no-difference-yet';
  return {
    champion: champion.arm,
    challenger: challenger.arm,
    absoluteLift: absolute === undefined ? null : { estimate: absolute.estimate, low: absolute.low, high: absolute.high },
    relativeLift: relative === undefined ? null : { estimate: relative.estimate, low: relative.low, high: relative.high },
    zTest: zTest === undefined ? null : { z: zTest.z, pValue: zTest.pValue },
    clusteredTest: showClustered ? { ...clustered } : null,
    msprt: outcome,
    fixedHorizonPValue: showClustered ? clustered.pValue : (zTest?.pValue ?? null),
    verdict,
  };
}

/** τ² from the champion's observed CTR (the pooled CTR when the champion's is 0 or 1); undefined with no clicks at all. */
function observedMixingVariance(x1: number, n1: number, x2: number, n2: number): number | undefined {
  const champion = n1 > 0 ? x1 / n1 : 0;
  if (champion > 0 && champion < 1) return defaultMixingVariance(champion);
  const pooled = n1 + n2 > 0 ? (x1 + x2) / (n1 + n2) : 0;
  return pooled > 0 && pooled < 1 ? defaultMixingVariance(pooled) : undefined;
}
