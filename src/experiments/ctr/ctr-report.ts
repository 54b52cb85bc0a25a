import { defaultMixingVariance } from '../statistics/msprt.js';
import { wilsonInterval } from '../statistics/wilson.js';
import { compareArms, type ArmComparison, type Verdict } from './arm-comparison.js';
import { tallyArms, type ArmTally } from './arm-tally.js';
import type { JoinResult } from './click-join.js';
import { formatDuration } from './duration.js';
import { caveatReason, caveatText, perUserInterval, type PerUserInterval } from './per-user-interval.js';
import { formatAlpha } from './report-format.js';
import { sequentialTests } from './sequential-looks.js';
import { checkSampleRatio, type SrmCheck } from './srm-check.js';
import { buildTimeline } from './timeline.js';
import { WIDE_TIME_SKEW_MS, type TimeSkew } from './time-skew.js';
import type { ArmWeights } from './weights.js';

/**
 * The result of `kascade ctr`, and exactly what `--json` prints. Field names are stable; numbers
 * that cannot be computed (an arm without impressions, a lift without clicks) are null, never
 * NaN. Times are ISO 8601 strings; rates and shares are fractions (0.031, not 3.1%).
 *
 * {
 *   generatedAt: string,
 *   window: { ms: number, text: string },                 // attribution window, e.g. { ms: 86400000, text: "24h" }
 *   range: { from: string | null, to: string | null },    // --from / --to (ISO time: by event time, or "offset:N"); null = whole topic
 *   confidence: number,                                   // of every interval (0.95)
 *   champion: string,
 *   arms: [{                                              // champion first
 *     name, role: "champion" | "challenger", topic: string | null, weight: number | null,
 *     impressions, clicked,                               // clicked = impressions with >= 1 click in the window
 *     units, maxImpressionsPerUnit,
 *     ctr: number | null,                                 // clicked / impressions
 *     wilson: { low, high } | null,                       // Wilson score interval of the CTR
 *     clustered: { estimate, low, high, standardError,   // delta method over units, clamped to [0, 1]; only when a unit saw several impressions
 *                  unreliable: "few-units" | "no-clicks" | "all-clicked" | null } | null
 *   }],
 *   comparisons: [{                                       // champion against each challenger; signs are challenger - champion
 *     champion, challenger,
 *     absoluteLift: { estimate, low, high } | null,       // p2 - p1
 *     relativeLift: { estimate, low, high } | null,       // p2 / p1 - 1 (needs clicks in both arms)
 *     zTest: { z, pValue } | null,                        // two-proportion z-test on impressions
 *     clusteredTest: { z, pValue, difference, standardError } | null,
 *     msprt: { variance, varianceSource: "clustered", mixingVariance, alpha,   // alpha of this comparison
 *              likelihoodRatio: number | null, threshold,                 // at the last look
 *              reject, alwaysValidPValue,                                  // over all looks: some look crossed; the lowest p
 *              lastLookPValue, looks, crossedAt: string | null } | null,   // p at the last look; the first crossing's time
 *                                                       // looks: sequential-looks.ts; null before the first look
 *     fixedHorizonPValue: number | null,                  // clustered test's p when present, else the z-test's
 *     verdict: "challenger-better" | "champion-better" | "no-difference-yet"
 *   }],
 *   srm: { checked: true, basis: "units", threshold, arms: [{ name, weight, expectedShare, observed, observedShare }],
 *          chiSquare: number | null, degreesOfFreedom, pValue, mismatch }
 *      | { checked: false, reason: string },
 *   impressions: { records, counted, duplicates, conflicting, unreadable, withoutRequestId, withoutArm, outsideTimeRange, unitsInSeveralArms },
 *                                                       // records = counted + duplicates + conflicting + unreadable + withoutRequestId + withoutArm + outsideTimeRange
 *   clicks: { records, joined, duplicates, orphans, late, early, outOfRange, unreadable, outsideTimeRange },
 *                                                       // records = joined + duplicates + orphans + late + early + outOfRange + unreadable + outsideTimeRange
 *                                                       // outsideTimeRange: event time outside --from/--to (clicks: --from to --to plus the window), not joined;
 *                                                       // outOfRange: joined nothing, and its impression may lie outside the range
 *   timeSkew: { thresholdMs, records, beyondThreshold, largestMs: number | null },  // Kafka timestamp against event time, per usable record
 *   verdict: "challenger-better" | "champion-better" | "no-difference-yet",
 *   verdictDetail: { rule: "msprt", arm: string | null,
 *                    alpha, comparisonAlpha, comparisons,    // overall alpha; the alpha each comparison is tested at (alpha / comparisons)
 *                    alwaysValidPValue: number | null,       // the deciding comparison's: compare it with comparisonAlpha
 *                    fixedHorizonPValue: number | null, mixingVariance: "baseline" | "observed",
 *                    decidedAt: string | null },      // event time of the look that decided the verdict
 *   timeline: { bucketMs, buckets: [{ start: string, arms: [{ impressions, clicked }] }] },   // arms in the order of `arms`
 *   notes: string[]                                       // what to look at before trusting the numbers
 * }
 */
export interface CtrReport {
  readonly generatedAt: string;
  readonly window: { readonly ms: number; readonly text: string };
  readonly range: { readonly from: string | null; readonly to: string | null };
  readonly confidence: number;
  readonly champion: string;
  readonly arms: readonly ArmReport[];
  readonly comparisons: readonly ArmComparison[];
  readonly srm: SrmCheck;
  readonly impressions: ImpressionReport;
  readonly clicks: ClickReport;
  readonly timeSkew: TimeSkew;
  readonly verdict: Verdict;
  readonly verdictDetail: VerdictDetail;
  readonly timeline: TimelineReport;
  readonly notes: readonly string[];
}

export interface ArmReport {
  readonly name: string;
  readonly role: 'champion' | 'challenger';
  readonly topic: string | null;
  readonly weight: number | null;
  readonly impressions: number;
  readonly clicked: number;
  readonly units: number;
  readonly maxImpressionsPerUnit: number;
  readonly ctr: number | null;
  readonly wilson: { readonly low: number; readonly high: number } | null;
  readonly clustered: PerUserInterval | null;
}

export interface ImpressionReport {
  readonly records: number;
  readonly counted: number;
  readonly duplicates: number;
  readonly conflicting: number;
  readonly unreadable: number;
  readonly withoutRequestId: number;
  readonly withoutArm: number;
  /** Event time outside --from/--to: read, not counted. */
  readonly outsideTimeRange: number;
  readonly unitsInSeveralArms: number;
}

export interface ClickReport {
  readonly records: number;
  readonly joined: number;
  readonly duplicates: number;
  readonly orphans: number;
  readonly late: number;
  readonly early: number;
  readonly outOfRange: number;
  readonly unreadable: number;
  /** Event time outside --from to --to plus the window: read, not joined. */
  readonly outsideTimeRange: number;
}

export interface VerdictDetail {
  readonly rule: 'msprt';
  /** The challenger the verdict is about (the best one when several are better); null when no-difference-yet. */
  readonly arm: string | null;
  /** The overall type I error bound, over every comparison. */
  readonly alpha: number;
  /** The bound each comparison is tested at, which alwaysValidPValue is to be read against: alpha / comparisons (Bonferroni). */
  readonly comparisonAlpha: number;
  /** Challengers compared with the champion. */
  readonly comparisons: number;
  readonly alwaysValidPValue: number | null;
  readonly fixedHorizonPValue: number | null;
  /** τ² from --baseline-ctr (fixed before the test: fully always-valid) or from the champion CTR observed at each look. */
  readonly mixingVariance: 'baseline' | 'observed';
  /** Event time (ISO 8601) of the look that decided the verdict; null when no-difference-yet. */
  readonly decidedAt: string | null;
}

export interface TimelineReport {
  readonly bucketMs: number;
  readonly buckets: readonly { readonly start: string; readonly arms: readonly { readonly impressions: number; readonly clicked: number }[] }[];
}

/** Records that never reached the join, counted by the reader. */
export interface SkippedRecords {
  readonly impressions: { readonly unreadable: number; readonly withoutRequestId: number; readonly withoutArm: number; readonly outsideTimeRange: number };
  readonly clicks: { readonly unreadable: number; readonly outsideTimeRange: number };
}

export interface CtrReportInput {
  readonly join: JoinResult;
  /** --champion, else the heaviest weight, else the first --arm; when absent, the arm whose first impression is earliest. */
  readonly champion?: string | undefined;
  readonly weights?: ArmWeights | undefined;
  /** Arm -> topic, when each arm has its own topic. */
  readonly topics?: ReadonlyMap<string, string> | undefined;
  readonly range?: { readonly from: string | null; readonly to: string | null };
  readonly skipped?: SkippedRecords;
  /** Kafka timestamps against event times of the records read. */
  readonly timeSkew?: TimeSkew;
  /** The champion's CTR known before the test: fixes the mSPRT's mixing variance. */
  readonly baselineCtr?: number | undefined;
  readonly confidence?: number;
  /** Overall type I error bound of the verdict, split evenly over the challengers (Bonferroni). */
  readonly alpha?: number;
  readonly now?: number;
}

const NO_SKIPS: SkippedRecords = { impressions: { unreadable: 0, withoutRequestId: 0, withoutArm: 0, outsideTimeRange: 0 }, clicks: { unreadable: 0, outsideTimeRange: 0 } };
const NO_SKEW: TimeSkew = { thresholdMs: WIDE_TIME_SKEW_MS, records: 0, beyondThreshold: 0, largestMs: null };

export function buildCtrReport(input: CtrReportInput): CtrReport {
  const { join } = input;
  const confidence = input.confidence ?? 0.95;
  const alpha = input.alpha ?? 0.05;
  const skipped = input.skipped ?? NO_SKIPS;
  const tallies = tallyArms(join);
  const champion = pickChampion(input.champion, tallies.arms);
  const ordered = [...tallies.arms].sort((a, b) => Number(b.arm === champion) - Number(a.arm === champion));
  const championTally = ordered[0];
  const challengers = ordered.slice(1);
  const perComparisonAlpha = alpha / Math.max(1, challengers.length);
  const mixingVariance = input.baselineCtr === undefined ? undefined : defaultMixingVariance(input.baselineCtr);
  const sequential = sequentialTests(
    join,
    champion,
    challengers.map((challenger) => challenger.arm),
    { alpha: perComparisonAlpha, mixingVariance },
  );
  const comparisons =
    championTally === undefined
      ? []
      : challengers.map((challenger) => compareArms(championTally, challenger, { confidence, alpha: perComparisonAlpha, sequential: sequential.get(challenger.arm) }));

  const armIndex = new Map(join.arms.map((arm, index) => [arm, index]));
  const timeline = buildTimeline(join);
  const srm = checkSampleRatio(ordered, input.weights);
  const impressions: ImpressionReport = {
    records:
      join.impressions.read +
      skipped.impressions.unreadable +
      skipped.impressions.withoutRequestId +
      skipped.impressions.withoutArm +
      skipped.impressions.outsideTimeRange,
    counted: join.impressions.counted,
    duplicates: join.impressions.duplicates,
    conflicting: join.impressions.conflicting,
    ...skipped.impressions,
    unitsInSeveralArms: tallies.unitsInSeveralArms,
  };
  const clicks: ClickReport = {
    records: join.clicks.read + skipped.clicks.unreadable + skipped.clicks.outsideTimeRange,
    joined: join.clicks.joined,
    duplicates: join.clicks.duplicates,
    orphans: join.clicks.orphans,
    late: join.clicks.late,
    early: join.clicks.early,
    outOfRange: join.clicks.outOfRange,
    unreadable: skipped.clicks.unreadable,
    outsideTimeRange: skipped.clicks.outsideTimeRange,
  };
  const timeSkew = input.timeSkew ?? NO_SKEW;
  const arms = ordered.map((tally) => armReport(tally, tally.arm === champion, input, confidence));
  const { verdict, detail } = overallVerdict(comparisons, { alpha, comparisonAlpha: perComparisonAlpha }, input.baselineCtr === undefined ? 'observed' : 'baseline');
  return {
    generatedAt: new Date(input.now ?? Date.now()).toISOString(),
    window: { ms: join.windowMs, text: formatDuration(join.windowMs) },
    range: input.range ?? { from: null, to: null },
    confidence,
    champion,
    arms,
    comparisons,
    srm,
    impressions,
    clicks,
    timeSkew,
    verdict,
    verdictDetail: detail,
    timeline: {
      bucketMs: timeline.bucketMs,
      buckets: timeline.buckets.map((bucket) => ({
        start: new Date(bucket.start).toISOString(),
        arms: ordered.map((tally) => bucket.arms[armIndex.get(tally.arm) ?? -1] ?? { impressions: 0, clicked: 0 }),
      })),
    },
    notes: notes({ srm, impressions, clicks, timeSkew, comparisons, alpha, comparisonAlpha: perComparisonAlpha, baseline: input.baselineCtr !== undefined, tallies: ordered, arms }),
  };
}

function pickChampion(requested: string | undefined, arms: readonly ArmTally[]): string {
  if (requested !== undefined) return requested;
  let best: ArmTally | undefined;
  for (const arm of arms) {
    if (arm.firstImpression === undefined) continue;
    if (best?.firstImpression === undefined || arm.firstImpression < best.firstImpression) best = arm;
  }
  return best?.arm ?? arms[0]?.arm ?? '';
}

function armReport(tally: ArmTally, isChampion: boolean, input: CtrReportInput, confidence: number): ArmReport {
  const clustered = perUserInterval(tally, confidence);
  return {
    name: tally.arm,
    role: isChampion ? 'champion' : 'challenger',
    topic: input.topics?.get(tally.arm) ?? null,
    weight: input.weights?.get(tally.arm) ?? null,
    impressions: tally.impressions,
    clicked: tally.clicked,
    units: tally.units.length,
    maxImpressionsPerUnit: tally.maxImpressionsPerUnit,
    ctr: tally.impressions === 0 ? null : tally.clicked / tally.impressions,
    wilson: tally.impressions === 0 ? null : wilsonInterval(tally.clicked, tally.impressions, confidence),
    clustered: clustered ?? null,
  };
}

function overallVerdict(
  comparisons: readonly ArmComparison[],
  { alpha, comparisonAlpha }: { alpha: number; comparisonAlpha: number },
  mixingVariance: 'baseline' | 'observed',
): { verdict: Verdict; detail: VerdictDetail } {
  const better = comparisons
    .filter((comparison) => comparison.verdict === 'challenger-better')
    .sort((a, b) => (b.absoluteLift?.estimate ?? 0) - (a.absoluteLift?.estimate ?? 0));
  const allWorse = comparisons.length > 0 && comparisons.every((comparison) => comparison.verdict === 'champion-better');
  const verdict: Verdict = better.length > 0 ? 'challenger-better' : allWorse ? 'champion-better' : 'no-difference-yet';
  // The comparison the verdict rests on: the best better challenger, else the one closest to a decision.
  const deciding =
    better[0] ??
    [...comparisons].sort((a, b) => (a.msprt?.alwaysValidPValue ?? 1) - (b.msprt?.alwaysValidPValue ?? 1))[0];
  return {
    verdict,
    detail: {
      rule: 'msprt',
      arm: verdict === 'no-difference-yet' ? null : (deciding?.challenger ?? null),
      alpha,
      comparisonAlpha,
      comparisons: comparisons.length,
      alwaysValidPValue: deciding?.msprt?.alwaysValidPValue ?? null,
      fixedHorizonPValue: deciding?.fixedHorizonPValue ?? null,
      mixingVariance,
      // Champion-better needs every challenger worse: decided when the last of them was.
      decidedAt:
        verdict === 'no-difference-yet'
          ? null
          : verdict === 'champion-better'
            ? comparisons.map((comparison) => comparison.msprt?.crossedAt ?? '').reduce((latest, time) => (time > latest ? time : latest), '')
            : (deciding?.msprt?.crossedAt ?? null),
    },
  };
}

function notes(parts: {
  srm: SrmCheck;
  impressions: ImpressionReport;
  clicks: ClickReport;
  timeSkew: TimeSkew;
  comparisons: readonly ArmComparison[];
  alpha: number;
  comparisonAlpha: number;
  baseline: boolean;
  tallies: readonly ArmTally[];
  arms: readonly ArmReport[];
}): string[] {
  const found: string[] = [];
  const { srm, impressions, clicks, timeSkew } = parts;
  if (srm.checked && srm.mismatch) {
    found.push(`sample ratio mismatch (p = ${srm.pValue.toPrecision(3)} < ${srm.threshold}): units per arm do not fit the weights; assignment or logging is broken, distrust the comparison`);
  }
  if (!srm.checked) found.push(srm.reason);
  if (impressions.unitsInSeveralArms > 0) found.push(`${impressions.unitsInSeveralArms} units appear in several arms (weights or salt changed, or a non-sticky router): they dilute the difference`);
  if (impressions.conflicting > 0) found.push(`${impressions.conflicting} impressions share a request id with an impression of another arm; the earliest one counts`);
  const unread = impressions.unreadable + impressions.withoutRequestId + impressions.withoutArm + clicks.unreadable;
  if (unread > 0) found.push(`${unread} records could not be used (undecodable, or without request id or arm)`);
  if (clicks.orphans > 0) found.push(`${clicks.orphans} clicks match no impression read (impressions outside the range read, or lost)`);
  if (impressions.outsideTimeRange > 0 || clicks.outsideTimeRange > 0) {
    found.push(
      `${counted(impressions.outsideTimeRange, 'impression record')} and ${counted(clicks.outsideTimeRange, 'click record')} have an event time outside --from/--to ` +
        '(clicks: --from to --to plus the window) and were not counted',
    );
  }
  if (timeSkew.beyondThreshold > 0) {
    found.push(
      `${timeSkew.beyondThreshold} of ${timeSkew.records} records have a Kafka timestamp more than ${formatDuration(timeSkew.thresholdMs)} away from their event time ` +
        `(up to ${formatDuration(timeSkew.largestMs ?? 0)}): Kafka times look like ingestion times. This report selects and joins by event time; ` +
        'anything that seeks these topics by Kafka time (kascade replay --from/--to) selects other records',
    );
  }
  if (parts.comparisons.some((comparison) => comparison.msprt !== null) && !parts.baseline) {
    found.push("the mSPRT's mixing variance comes from the champion CTR observed at each look; pass --baseline-ctr (the CTR known before the test) to fix it before the test");
  }
  if (parts.comparisons.length > 1) {
    found.push(
      `alpha ${formatAlpha(parts.alpha)} is split over ${parts.comparisons.length} challengers (Bonferroni): each comparison is tested at alpha ${formatAlpha(parts.comparisonAlpha)}`,
    );
  }
  for (const arm of parts.tallies) if (arm.impressions === 0) found.push(`arm "${arm.arm}" has no impressions`);
  for (const arm of parts.arms) {
    const caveat = arm.clustered?.unreliable;
    if (caveat !== undefined && caveat !== null) {
      found.push(`arm "${arm.name}": the per-user interval is unreliable: ${caveatText(caveat, arm.units)} (${caveatReason(caveat)})`);
    }
  }
  return found;
}

/** `1 click record`, `3 click records`. */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
