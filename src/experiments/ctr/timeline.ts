import type { JoinResult } from './click-join.js';

/** Each arm's impressions and clicked impressions per time bucket (by impression time), for the chart. */
export interface Timeline {
  /** Bucket width in milliseconds. */
  readonly bucketMs: number;
  readonly buckets: readonly TimelineBucket[];
}

export interface TimelineBucket {
  /** Start of the bucket, milliseconds since the epoch (aligned to a multiple of bucketMs in UTC). */
  readonly start: number;
  /** In the join's arm order. */
  readonly arms: readonly { readonly impressions: number; readonly clicked: number }[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths to choose from, smallest first. */
const WIDTHS: readonly number[] = [
  1000, 5000, 10_000, 30_000, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR,
  6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 365 * DAY,
];
export const MIN_BUCKETS = 10;
export const MAX_BUCKETS = 50;

function bucketCount(first: number, last: number, width: number): number {
  return Math.floor(last / width) - Math.floor(first / width) + 1;
}

/**
 * The bucket width for impressions from `first` to `last`: hourly when that gives 10-50 buckets,
 * else the listed width closest to hourly that does; a span too short for 10 buckets of one
 * second gets one-second buckets.
 */
export function chooseBucketMs(first: number, last: number): number {
  const fitting = WIDTHS.filter((width) => {
    const count = bucketCount(first, last, width);
    return count >= MIN_BUCKETS && count <= MAX_BUCKETS;
  });
  if (fitting.length > 0) {
    return fitting.reduce((best, width) => (Math.abs(Math.log(width / HOUR)) < Math.abs(Math.log(best / HOUR)) ? width : best));
  }
  // Too short for 10 buckets even at the smallest width, or too long for 50 at the largest.
  return WIDTHS.find((width) => bucketCount(first, last, width) <= MAX_BUCKETS) ?? WIDTHS[WIDTHS.length - 1] ?? DAY;
}

/** Buckets every counted impression by its time; `bucketMs` defaults to chooseBucketMs over the impressions' range. */
export function buildTimeline(join: JoinResult, bucketMs?: number): Timeline {
  const range = join.timeRange;
  if (range === undefined) return { bucketMs: bucketMs ?? HOUR, buckets: [] };
  const width = bucketMs ?? chooseBucketMs(range.first, range.last);
  const firstBucket = Math.floor(range.first / width);
  const count = Math.floor(range.last / width) - firstBucket + 1;
  const armIndex = new Map(join.arms.map((arm, index) => [arm, index]));
  const cells = Array.from({ length: count }, () => join.arms.map(() => ({ impressions: 0, clicked: 0 })));
  join.forEachImpression((impression) => {
    const cell = cells[Math.floor(impression.time / width) - firstBucket]?.[armIndex.get(impression.arm) ?? -1];
    if (cell === undefined) return;
    cell.impressions++;
    if (impression.clicked) cell.clicked++;
  });
  return { bucketMs: width, buckets: cells.map((arms, index) => ({ start: (firstBucket + index) * width, arms })) };
}
