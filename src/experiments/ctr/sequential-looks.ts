import { MIN_RELIABLE_UNITS } from '../statistics/delta-method.js';
import { defaultMixingVariance, msprt } from '../statistics/msprt.js';
import type { JoinResult } from './click-join.js';

/**
 * The mSPRT over a sequence of looks fixed by the data, so that re-running the report never takes
 * a decision back.
 *
 * The always-valid p-value is the running minimum of 1/Λ over the looks (msprt.ts). A report
 * that computed Λ only at the moment it runs would look at a different moment every run: a
 * difference that crossed 1/α yesterday and wandered back today would be undecided again. Here
 * a look is every moment the data changes, by event time: after each distinct time at which an
 * impression was shown or an impression's (earliest) click came, with what a report run at that
 * moment would have seen (impressions up to it, clicks up to it). So a later run makes every look
 * an earlier run made, on the same data with the same p (unless records arrive late, with event
 * times before ones already read), and its last look is the data as it is now. The mSPRT holds
 * under continuous monitoring (Ville's inequality bounds Λ at every stopping time), so looking
 * at every change costs no validity.
 *
 * A look needs each arm to have MIN_LOOK_UNITS units: the variance is the delta method's over
 * units (delta-method.ts), which for a handful of users can be near 0 by chance, and the running
 * minimum would keep a crossing of such a look for ever. The mixing variance τ² is the fixed one
 * (--baseline-ctr) or else the champion's CTR observed at that look (the pooled CTR when the
 * champion's is 0 or 1): it depends on data up to the look only, so it is the same every run.
 */

/** Units each arm needs before its first look: enough clusters for the delta method's variance. */
export const MIN_LOOK_UNITS = MIN_RELIABLE_UNITS;

/** The comparison at one look. Signs are challenger minus champion. */
export interface Look {
  /** Event time of the look, ms since the epoch. */
  readonly time: number;
  readonly difference: number;
  /** Delta-method variance of the difference (units as clusters). */
  readonly variance: number;
  /** τ² used at this look. */
  readonly mixingVariance: number;
  /** Λ; Infinity for overwhelming evidence. */
  readonly likelihoodRatio: number;
  /** min(1, 1/Λ). */
  readonly pValue: number;
}

export interface SequentialOutcome {
  readonly looks: number;
  /** The always-valid p: the lowest pValue over all looks. */
  readonly minPValue: number;
  /** The first look with Λ >= 1/α (p <= α), when one crossed: the decision, and when it was made. */
  readonly crossing: Look | undefined;
  /** The last look: the data as it is now. */
  readonly last: Look;
}

export interface SequentialOptions {
  /** α of each comparison. */
  readonly alpha: number;
  /** A τ² fixed before the test; else each look's observed one (above). */
  readonly mixingVariance?: number | undefined;
}

/** One arm's counts as of the current look, with the unit sums the delta-method variance needs. */
class ArmState {
  impressions = 0;
  clicked = 0;
  units = 0;
  // Σx², Σy², Σxy over units, x = a unit's impressions and y its clicked impressions.
  #sxx = 0;
  #syy = 0;
  #sxy = 0;
  readonly #unitImpressions: number[] = [];
  readonly #unitClicks: number[] = [];

  addImpression(unit: number): void {
    const x = this.#unitImpressions[unit] ?? 0;
    if (x === 0) this.units++;
    this.#sxx += 2 * x + 1;
    this.#sxy += this.#unitClicks[unit] ?? 0;
    this.#unitImpressions[unit] = x + 1;
    this.impressions++;
  }

  addClick(unit: number): void {
    const y = this.#unitClicks[unit] ?? 0;
    this.#syy += 2 * y + 1;
    this.#sxy += this.#unitImpressions[unit] ?? 0;
    this.#unitClicks[unit] = y + 1;
    this.clicked++;
  }

  /** Var(R) = Σ(y − R·x)² / (n(n − 1)·x̄²), delta-method.ts's, with Σ(y − R·x)² = Σy² − 2R·Σxy + R²·Σx². */
  variance(): number {
    const ratio = this.clicked / this.impressions;
    const meanImpressions = this.impressions / this.units;
    const squares = this.#syy - 2 * ratio * this.#sxy + ratio * ratio * this.#sxx;
    return Math.max(0, squares) / (this.units * (this.units - 1) * meanImpressions * meanImpressions);
  }
}

/** Per challenger, the champion against it over all looks; a challenger without any look is absent. */
export function sequentialTests(
  join: JoinResult,
  champion: string,
  challengers: readonly string[],
  options: SequentialOptions,
): Map<string, SequentialOutcome> {
  const arms = [champion, ...challengers];
  const armIndex = new Map(arms.map((arm, index) => [arm, index]));
  const unitIndex = arms.map(() => new Map<string, number>());
  // Events: an impression shown, or an impression clicked; `code` packs (unit, arm, kind).
  const times: number[] = [];
  const codes: number[] = [];
  join.forEachImpression((impression) => {
    const arm = armIndex.get(impression.arm);
    if (arm === undefined) return;
    const units = unitIndex[arm] ?? new Map<string, number>();
    let unit = units.get(impression.unit);
    if (unit === undefined) {
      unit = units.size;
      units.set(impression.unit, unit);
    }
    const code = (unit * arms.length + arm) * 2;
    times.push(impression.time);
    codes.push(code);
    if (impression.clickTime !== undefined) {
      times.push(impression.clickTime);
      codes.push(code + 1);
    }
  });
  const order = Array.from(times.keys()).sort((a, b) => (times[a] ?? 0) - (times[b] ?? 0));

  const states = arms.map(() => new ArmState());
  const outcomes = challengers.map(() => ({ looks: 0, minPValue: 1, crossing: undefined as Look | undefined, last: undefined as Look | undefined }));
  const touched = arms.map(() => false);
  for (let position = 0; position < order.length; position++) {
    const event = order[position] ?? 0;
    const code = codes[event] ?? 0;
    const arm = (code >> 1) % arms.length;
    const unit = Math.floor((code >> 1) / arms.length);
    const state = states[arm];
    if (state === undefined) continue;
    if (code & 1) state.addClick(unit);
    else state.addImpression(unit);
    touched[arm] = true;
    const time = times[event] ?? 0;
    // Events at the same time are one look: the outcome cannot depend on the order they were read in.
    if (times[order[position + 1] ?? -1] === time) continue;
    challengers.forEach((_, index) => {
      if (!touched[0] && !touched[index + 1]) return;
      const outcome = outcomes[index];
      const look = lookAt(time, states[0], states[index + 1], options);
      if (outcome === undefined || look === undefined) return;
      outcome.looks++;
      outcome.last = look;
      if (look.pValue < outcome.minPValue) outcome.minPValue = look.pValue;
      if (outcome.crossing === undefined && look.likelihoodRatio >= 1 / options.alpha) outcome.crossing = look;
    });
    touched.fill(false);
  }

  const result = new Map<string, SequentialOutcome>();
  challengers.forEach((challenger, index) => {
    const outcome = outcomes[index];
    if (outcome?.last !== undefined) result.set(challenger, { looks: outcome.looks, minPValue: outcome.minPValue, crossing: outcome.crossing, last: outcome.last });
  });
  return result;
}

/** The look at `time`, or undefined when there is nothing to test yet (too few units, no clicks, no variance). */
function lookAt(time: number, champion: ArmState | undefined, challenger: ArmState | undefined, options: SequentialOptions): Look | undefined {
  if (champion === undefined || challenger === undefined) return undefined;
  if (champion.units < MIN_LOOK_UNITS || challenger.units < MIN_LOOK_UNITS) return undefined;
  const mixingVariance = options.mixingVariance ?? observedMixingVariance(champion, challenger);
  const variance = champion.variance() + challenger.variance();
  if (mixingVariance === undefined || !(variance > 0)) return undefined;
  const difference = challenger.clicked / challenger.impressions - champion.clicked / champion.impressions;
  const { likelihoodRatio, alwaysValidPValue } = msprt({ difference, variance, mixingVariance, alpha: options.alpha });
  return { time, difference, variance, mixingVariance, likelihoodRatio, pValue: alwaysValidPValue };
}

/** τ² from the champion's observed CTR (the pooled CTR when the champion's is 0 or 1); undefined with no clicks at all. */
function observedMixingVariance(champion: ArmState, challenger: ArmState): number | undefined {
  const championCtr = champion.clicked / champion.impressions;
  if (championCtr > 0 && championCtr < 1) return defaultMixingVariance(championCtr);
  const pooled = (champion.clicked + challenger.clicked) / (champion.impressions + challenger.impressions);
  return pooled > 0 && pooled < 1 ? defaultMixingVariance(pooled) : undefined;
}
