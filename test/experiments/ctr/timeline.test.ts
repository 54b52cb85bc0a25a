import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin } from '../../../src/experiments/ctr/click-join.js';
import { buildTimeline, chooseBucketMs, MAX_BUCKETS, MIN_BUCKETS } from '../../../src/experiments/ctr/timeline.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 4, 1);

function buckets(first: number, last: number, width: number): number {
  return Math.floor(last / width) - Math.floor(first / width) + 1;
}

test('hourly buckets when that gives 10 to 50 of them', () => {
  assert.equal(chooseBucketMs(T0, T0 + 24 * HOUR - 1), HOUR);
  assert.equal(chooseBucketMs(T0, T0 + 10 * HOUR - 1), HOUR);
  assert.equal(chooseBucketMs(T0 + 30 * MINUTE, T0 + 48 * HOUR), HOUR);
});

test('otherwise a width that gives 10 to 50 buckets', () => {
  for (const span of [15 * MINUTE, 2 * HOUR, 5 * HOUR, 4 * DAY, 14 * DAY, 90 * DAY, 2 * 365 * DAY]) {
    const width = chooseBucketMs(T0, T0 + span);
    const count = buckets(T0, T0 + span, width);
    assert.ok(count >= MIN_BUCKETS && count <= MAX_BUCKETS, `${span} ms -> ${width} ms wide, ${count} buckets`);
  }
  assert.equal(chooseBucketMs(T0, T0 + 2 * HOUR), 10 * MINUTE);
  assert.equal(chooseBucketMs(T0, T0 + 4 * DAY), 2 * HOUR);
});

test('a span too short for 10 buckets gets the smallest width', () => {
  assert.equal(chooseBucketMs(T0, T0), 1000);
  assert.equal(chooseBucketMs(T0, T0 + 3000), 1000);
});

test('impressions and clicked impressions per arm and bucket', () => {
  const join = new ClickJoin({ windowMs: HOUR, arms: ['a', 'b'] });
  join.addImpression({ requestId: '1', arm: 'a', unit: 'u', time: T0 + 5 * MINUTE });
  join.addImpression({ requestId: '2', arm: 'a', unit: 'u', time: T0 + 65 * MINUTE });
  join.addImpression({ requestId: '3', arm: 'b', unit: 'v', time: T0 + 66 * MINUTE });
  join.addClick({ requestId: '2', time: T0 + 70 * MINUTE });
  const timeline = buildTimeline(join.result(), HOUR);
  assert.deepEqual(timeline, {
    bucketMs: HOUR,
    buckets: [
      { start: T0, arms: [{ impressions: 1, clicked: 0 }, { impressions: 0, clicked: 0 }] },
      { start: T0 + HOUR, arms: [{ impressions: 1, clicked: 1 }, { impressions: 1, clicked: 0 }] },
    ],
  });
});
