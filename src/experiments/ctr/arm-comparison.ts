import { clusteredDifferenceTest } from '../statistics/delta-method.js';
import { absoluteLift, relativeLift, twoProportionZTest } from '../statistics/two-proportion.js';
import type { ArmTally } from './arm-tally.js';
import type { SequentialOutcome } from './sequential-looks.js';

export type Verdict = 'challenger-better' | 'champion-better' | 'no-difference-yet';

export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

/** The mSPRT over the looks of sequential-looks.ts: the decision from all looks, the numbers of the last one. */
export interface MsprtOutcome {
  /** Variance of the difference estimate at the last look, and where it came from (units as clusters). */
  readonly variance: number;
  readonly varianceSource: 'clustered';
  /** τ² of the normal mixing distribution at the last look. */
  readonly mixingVariance: number;
  /** α of this comparison (the overall α split over the challengers). */
  readonly alpha: number;
  /** Λ at the last look; null when it overflowed (overwhelming evidence). */
  readonly likelihoodRatio: number | null;
  readonly threshold: number;
  /** Some look reached Λ >= 1/α: the arms differ, and no later look takes that back. */
  readonly reject: boolean;
  /** The always-valid p: the lowest 1/Λ over all looks. */
  readonly alwaysValidPValue: number;
  /** 1/Λ at the last look (at most 1); above alwaysValidPValue when the evidence has weakened since its lowest. */
  readonly lastLookPValue: number;
  readonly looks: number;
  /** Event time (ISO 8601) of the first look that reached 1/α: when the experiment was decided; null when none did. */
  readonly crossedAt: string | null;
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
  /** The always-valid sequential test the verdict rests on; null when there was no look yet (too few units, no clicks). */
  readonly msprt: MsprtOutcome | null;
  /** The fixed-horizon p-value to quote: the clustered test's when there is one, else the z-test's. */
  readonly fixedHorizonPValue: number | null;
  readonly verdict: Verdict;
}

export interface ComparisonOptions {
  readonly confidence: number;
  /** The mSPRT's type I error bound for this comparison (already split over the challengers). */
  readonly alpha: number;
  /** The champion against this challenger over the looks (sequentialTests); undefined without a look. */
  readonly sequential: SequentialOutcome | undefined;
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

  const sequential = options.sequential;
  const outcome: MsprtOutcome | null =
    sequential === undefined
      ? null
      : {
          variance: sequential.last.variance,
          varianceSource: 'clustered',
          mixingVariance: sequential.last.mixingVariance,
          alpha: options.alpha,
          likelihoodRatio: Number.isFinite(sequential.last.likelihoodRatio) ? sequential.last.likelihoodRatio : null,
          threshold: 1 / options.alpha,
          reject: sequential.crossing !== undefined,
          alwaysValidPValue: sequential.minPValue,
          lastLookPValue: sequential.last.pValue,
          looks: sequential.looks,
          crossedAt: sequential.crossing === undefined ? null : new Date(sequential.crossing.time).toISOString(),
        };
  // The direction is the one the difference had when the test decided, however it moved since.
  const decided = sequential?.crossing?.difference ?? 0;
  const verdict: Verdict = decided > 0 ? 'challenger-better' : decided < 0 ? 'champion-better' : 'no-difference-yet';
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
