import type { TimePoint } from './time-point.js';

/**
 * Which records `--from`/`--to` select, by event time: the time the join uses (the value's
 * `timestamp` field, else the Kafka timestamp). Kafka timestamps cannot find event times: they
 * are often ingestion times (a producer's default, LogAppendTime, a back-fill) and need not grow
 * with offsets (several producers, re-deliveries), so the broker's time index would skip records
 * whose event time is in range. Time bounds therefore bound nothing in the read (the topics are
 * read up to their end offsets at start); each record is kept or counted out by its event time.
 */

/** [fromMs, toMs) of event time; an absent end is open. */
export interface EventTimeRange {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
}

export function inEventTimeRange(range: EventTimeRange, time: number): boolean {
  return (range.fromMs === undefined || time >= range.fromMs) && (range.toMs === undefined || time < range.toMs);
}

/**
 * The ranges of impressions ([from, to)) and of clicks ([from, to + window): a click may come a
 * window after its impression). Offset bounds select impressions by offset, not by time.
 */
export function eventTimeRanges(from: TimePoint | undefined, to: TimePoint | undefined, windowMs: number): { impressions: EventTimeRange; clicks: EventTimeRange } {
  const fromMs = from?.kind === 'timestamp' ? from.ms : undefined;
  const toMs = to?.kind === 'timestamp' ? to.ms : undefined;
  return {
    impressions: { fromMs, toMs },
    clicks: { fromMs, toMs: toMs === undefined ? undefined : toMs + windowMs },
  };
}
