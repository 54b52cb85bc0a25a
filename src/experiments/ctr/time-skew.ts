/**
 * How far records' Kafka timestamps are from their event times. A wide gap is harmless to
 * `kascade ctr`, which selects and joins by event time, but says the Kafka timestamps are
 * ingestion times (or a back-fill's): anything that seeks these topics by Kafka time (a
 * consumer's offsetsForTimes, `kascade replay --from/--to`) selects other records than the
 * event times suggest.
 */

/** A gap wider than this is reported: well above producer clock skew and pipeline delays. */
export const WIDE_TIME_SKEW_MS = 3_600_000;

export interface TimeSkew {
  readonly thresholdMs: number;
  /** Records compared (every usable impression and click read, in the time range or not). */
  readonly records: number;
  /** Records whose Kafka timestamp is more than thresholdMs from their event time. */
  readonly beyondThreshold: number;
  /** The largest |Kafka time - event time| seen; null without records. */
  readonly largestMs: number | null;
}

export class TimeSkewTally {
  #records = 0;
  #beyond = 0;
  #largest = -1;

  observe(kafkaMs: number, eventMs: number): void {
    const gap = Math.abs(kafkaMs - eventMs);
    this.#records++;
    if (gap > WIDE_TIME_SKEW_MS) this.#beyond++;
    if (gap > this.#largest) this.#largest = gap;
  }

  result(): TimeSkew {
    return { thresholdMs: WIDE_TIME_SKEW_MS, records: this.#records, beyondThreshold: this.#beyond, largestMs: this.#records === 0 ? null : this.#largest };
  }
}
