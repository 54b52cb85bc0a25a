import type { Click, Impression } from './ctr-records.js';

/**
 * Joins clicks to impressions by request id, within an attribution window.
 *
 * Records are added in read order, clicks possibly before their impression (topics are read side
 * by side): everything is buffered and joined when `result()` is called, so the outcome does not
 * depend on the order. Memory: one small entry per impression and per click (a few hundred bytes
 * each; ~500k records of each fit comfortably in a default Node heap).
 *
 * Rules, each click counted in exactly one bucket:
 * - `orphans`: no impression has the click's request id, though its impression would have been
 *   read (`outOfRange` instead when the impression may lie outside the analysed range, see
 *   AnalysedRange);
 * - `early`: the click is before its impression (clock skew between producers);
 * - `late`: the click is more than `windowMs` after its impression;
 * - `joined`: the first click in the window of an impression (the impression counts as clicked,
 *   from the time of its earliest click in the window);
 * - `duplicates`: any further click in the window of an impression already clicked.
 * Impressions are unique per request id: a re-delivered prediction (at-least-once after a crash)
 * is a `duplicate` and the earliest copy counts; a request id seen in two arms is `conflicting`
 * and the earliest copy (then the first arm) decides its arm.
 */
export interface ClickJoinOptions {
  /** The attribution window: a click counts when click time - impression time is in [0, windowMs]. */
  readonly windowMs: number;
  /** Arms known up front (the champion first), in report order; arms seen only in the data follow. */
  readonly arms?: readonly string[];
}

/**
 * The time range [from, to) the impressions were read from. A click at time t without an
 * impression had its impression in [t - window, t]; when that may reach outside the range
 * (t - window < from, or t >= to) the impression may simply not have been read, so the click is
 * `outOfRange`, not an orphan. `'impressions'` stands for the earliest (latest) impression read,
 * for reads bounded by offsets. Without bounds, every click without an impression is an orphan.
 */
export interface AnalysedRange {
  readonly from?: number | 'impressions' | undefined;
  readonly to?: number | 'impressions' | undefined;
}

export interface ClickCounts {
  /** Click records taken into the join. */
  readonly read: number;
  readonly joined: number;
  readonly duplicates: number;
  readonly orphans: number;
  readonly late: number;
  readonly early: number;
  readonly outOfRange: number;
}

export interface ImpressionCounts {
  /** Impression records taken into the join (duplicates included). */
  readonly read: number;
  /** Distinct request ids: what the analysis counts. */
  readonly counted: number;
  readonly duplicates: number;
  readonly conflicting: number;
}

export interface JoinedImpression {
  readonly requestId: string;
  readonly arm: string;
  readonly unit: string;
  readonly time: number;
  readonly clicked: boolean;
  /** The earliest click in the window, when clicked: from then on the impression counts as clicked. */
  readonly clickTime: number | undefined;
}

export interface JoinResult {
  /** Every arm, configured ones first, then in order of first appearance in the data. */
  readonly arms: readonly string[];
  readonly impressions: ImpressionCounts;
  readonly clicks: ClickCounts;
  readonly windowMs: number;
  /** Earliest and latest impression time; undefined without impressions. */
  readonly timeRange: { readonly first: number; readonly last: number } | undefined;
  /** Visits every counted impression once (no copy of the whole set is made). */
  forEachImpression(visit: (impression: JoinedImpression) => void): void;
}

interface Slot {
  arm: number;
  unit: string;
  time: number;
}

export class ClickJoin {
  readonly #windowMs: number;
  readonly #arms: string[] = [];
  readonly #armIndex = new Map<string, number>();
  readonly #impressions = new Map<string, Slot>();
  readonly #clickIds: string[] = [];
  readonly #clickTimes: number[] = [];
  #finished = false;
  #impressionRecords = 0;
  #duplicates = 0;
  #conflicting = 0;

  constructor(options: ClickJoinOptions) {
    if (!(options.windowMs >= 0)) throw new RangeError(`the attribution window must be >= 0 ms, got ${options.windowMs}`);
    this.#windowMs = options.windowMs;
    for (const arm of options.arms ?? []) this.#armOf(arm);
  }

  addImpression(impression: Impression): void {
    this.#checkOpen();
    this.#impressionRecords++;
    const arm = this.#armOf(impression.arm);
    const existing = this.#impressions.get(impression.requestId);
    if (existing === undefined) {
      this.#impressions.set(impression.requestId, { arm, unit: impression.unit, time: impression.time });
      return;
    }
    if (existing.arm === arm) this.#duplicates++;
    else this.#conflicting++;
    if (impression.time < existing.time || (impression.time === existing.time && arm < existing.arm)) {
      existing.arm = arm;
      existing.unit = impression.unit;
      existing.time = impression.time;
    }
  }

  addClick(click: Click): void {
    this.#checkOpen();
    this.#clickIds.push(click.requestId);
    this.#clickTimes.push(click.time);
  }

  /** Joins everything added; call it once all records are read (adding afterwards throws). */
  result(range: AnalysedRange = {}): JoinResult {
    this.#finished = true;
    let first = Infinity;
    let last = -Infinity;
    for (const slot of this.#impressions.values()) {
      if (slot.time < first) first = slot.time;
      if (slot.time > last) last = slot.time;
    }
    const rangeFrom = range.from === 'impressions' ? first : range.from;
    const rangeTo = range.to === 'impressions' ? last : range.to;
    // Request id -> the earliest click time in its impression's window (whatever order clicks were read in).
    const clicked = new Map<string, number>();
    let joined = 0;
    let duplicates = 0;
    let orphans = 0;
    let late = 0;
    let early = 0;
    let outOfRange = 0;
    const windowMs = this.#windowMs;
    for (let index = 0; index < this.#clickIds.length; index++) {
      const requestId = this.#clickIds[index] ?? '';
      const time = this.#clickTimes[index] ?? 0;
      const impression = this.#impressions.get(requestId);
      if (impression === undefined) {
        const outside = (rangeFrom !== undefined && time - windowMs < rangeFrom) || (rangeTo !== undefined && time >= rangeTo);
        if (outside) outOfRange++;
        else orphans++;
        continue;
      }
      const delay = time - impression.time;
      if (delay < 0) early++;
      else if (delay > windowMs) late++;
      else {
        const earlier = clicked.get(requestId);
        if (earlier === undefined) joined++;
        else duplicates++;
        if (earlier === undefined || time < earlier) clicked.set(requestId, time);
      }
    }

    const arms = [...this.#arms];
    const impressions = this.#impressions;
    return {
      arms,
      windowMs,
      impressions: {
        read: this.#impressionRecords,
        counted: impressions.size,
        duplicates: this.#duplicates,
        conflicting: this.#conflicting,
      },
      clicks: { read: this.#clickIds.length, joined, duplicates, orphans, late, early, outOfRange },
      timeRange: impressions.size === 0 ? undefined : { first, last },
      forEachImpression(visit) {
        for (const [requestId, slot] of impressions) {
          const clickTime = clicked.get(requestId);
          visit({ requestId, arm: arms[slot.arm] ?? '', unit: slot.unit, time: slot.time, clicked: clickTime !== undefined, clickTime });
        }
      },
    };
  }

  #checkOpen(): void {
    if (this.#finished) throw new Error('ClickJoin: records added after result() was taken');
  }

  #armOf(name: string): number {
    let index = this.#armIndex.get(name);
    if (index === undefined) {
      index = this.#arms.length;
      this.#arms.push(name);
      this.#armIndex.set(name, index);
    }
    return index;
  }
}
