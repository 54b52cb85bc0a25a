import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin, type JoinedImpression } from '../../../src/experiments/ctr/click-join.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1, 12);

function impressions(join: ClickJoin): Map<string, JoinedImpression> {
  const seen = new Map<string, JoinedImpression>();
  join.result().forEachImpression((impression) => seen.set(impression.requestId, impression));
  return seen;
}

test('every click lands in exactly one bucket: joined, duplicate, orphan, late, early', () => {
  const join = new ClickJoin({ windowMs: 24 * HOUR, arms: ['champion', 'challenger'] });
  for (let index = 0; index < 10; index++) {
    join.addImpression({ requestId: `r${index}`, arm: index % 2 === 0 ? 'champion' : 'challenger', unit: `u${index % 3}`, time: T0 });
  }
  join.addClick({ requestId: 'r0', time: T0 + 1000 }); // joined
  join.addClick({ requestId: 'r0', time: T0 + 2000 }); // duplicate
  join.addClick({ requestId: 'r0', time: T0 + 3000 }); // duplicate
  join.addClick({ requestId: 'r1', time: T0 + 24 * HOUR }); // joined: the window is inclusive
  join.addClick({ requestId: 'r2', time: T0 }); // joined: delay 0
  join.addClick({ requestId: 'r3', time: T0 + 24 * HOUR + 1 }); // late
  join.addClick({ requestId: 'r4', time: T0 - 1 }); // early
  join.addClick({ requestId: 'nope-1', time: T0 }); // orphan
  join.addClick({ requestId: 'nope-2', time: T0 }); // orphan
  const result = join.result();
  assert.deepEqual(result.clicks, { read: 9, joined: 3, duplicates: 2, orphans: 2, late: 1, early: 1, outOfRange: 0 });
  const clicked: string[] = [];
  result.forEachImpression((impression) => {
    if (impression.clicked) clicked.push(impression.requestId);
  });
  assert.deepEqual(clicked.sort(), ['r0', 'r1', 'r2']);
});

test('clicks read before their impressions join the same way', () => {
  const build = (clicksFirst: boolean): ClickJoin => {
    const join = new ClickJoin({ windowMs: HOUR });
    const addImpressions = (): void => {
      join.addImpression({ requestId: 'a', arm: 'champion', unit: 'u1', time: T0 });
      join.addImpression({ requestId: 'b', arm: 'challenger', unit: 'u2', time: T0 });
    };
    const addClicks = (): void => {
      join.addClick({ requestId: 'a', time: T0 + 10 });
      join.addClick({ requestId: 'a', time: T0 + 20 });
      join.addClick({ requestId: 'b', time: T0 + 2 * HOUR });
    };
    if (clicksFirst) {
      addClicks();
      addImpressions();
    } else {
      addImpressions();
      addClicks();
    }
    return join;
  };
  const before = build(true).result();
  const after = build(false).result();
  assert.deepEqual(before.clicks, after.clicks);
  assert.deepEqual(before.clicks, { read: 3, joined: 1, duplicates: 1, orphans: 0, late: 1, early: 0, outOfRange: 0 });
  assert.equal(impressions(build(true)).get('a')?.clicked, true);
  assert.equal(impressions(build(true)).get('b')?.clicked, false);
});

test('a late click does not use up the impression: a later click inside the window still joins', () => {
  const join = new ClickJoin({ windowMs: HOUR });
  join.addImpression({ requestId: 'a', arm: 'x', unit: 'u', time: T0 });
  join.addClick({ requestId: 'a', time: T0 - 5 });
  join.addClick({ requestId: 'a', time: T0 + 2 * HOUR });
  join.addClick({ requestId: 'a', time: T0 + 5 });
  assert.deepEqual(join.result().clicks, { read: 3, joined: 1, duplicates: 0, orphans: 0, late: 1, early: 1, outOfRange: 0 });
});

test('re-delivered impressions count once (the earliest copy); a request id in two arms is a conflict', () => {
  const join = new ClickJoin({ windowMs: HOUR, arms: ['champion', 'challenger'] });
  join.addImpression({ requestId: 'a', arm: 'champion', unit: 'u1', time: T0 + 500 });
  join.addImpression({ requestId: 'a', arm: 'champion', unit: 'u1', time: T0 }); // the original, read second
  join.addImpression({ requestId: 'b', arm: 'challenger', unit: 'u2', time: T0 + 100 });
  join.addImpression({ requestId: 'b', arm: 'champion', unit: 'u2', time: T0 + 100 }); // same time: the first arm wins
  // 100 ms after the original impression of a, but before its re-delivered copy: joined, not early.
  join.addClick({ requestId: 'a', time: T0 + 100 });
  const result = join.result();
  assert.deepEqual(result.impressions, { read: 4, counted: 2, duplicates: 1, conflicting: 1 });
  assert.equal(result.clicks.joined, 1);
  const seen = impressions(join);
  assert.equal(seen.get('a')?.time, T0);
  assert.equal(seen.get('b')?.arm, 'champion');
});

test('clicks whose impression may lie outside the analysed range are out of range, not orphans', () => {
  const join = new ClickJoin({ windowMs: HOUR });
  join.addImpression({ requestId: 'a', arm: 'x', unit: 'u', time: T0 + 10 * HOUR });
  const range = { from: T0, to: T0 + 20 * HOUR };
  join.addClick({ requestId: 'gone-1', time: T0 + HOUR - 1 }); // its impression may be before `from`
  join.addClick({ requestId: 'gone-2', time: T0 + 20 * HOUR }); // ... or at/after `to`
  join.addClick({ requestId: 'gone-3', time: T0 + HOUR }); // its impression must be inside: a true orphan
  join.addClick({ requestId: 'gone-4', time: T0 + 20 * HOUR - 1 }); // likewise
  const result = join.result(range);
  assert.equal(result.clicks.outOfRange, 2);
  assert.equal(result.clicks.orphans, 2);
});

test("'impressions' bounds the range by the impressions' own span (reads bounded by offsets)", () => {
  const join = new ClickJoin({ windowMs: HOUR });
  join.addImpression({ requestId: 'a', arm: 'x', unit: 'u', time: T0 });
  join.addImpression({ requestId: 'b', arm: 'x', unit: 'u', time: T0 + 3 * HOUR });
  join.addClick({ requestId: 'gone-1', time: T0 + 30 * 60_000 });
  join.addClick({ requestId: 'gone-2', time: T0 + 2 * HOUR });
  join.addClick({ requestId: 'gone-3', time: T0 + 3 * HOUR + 1 });
  const result = join.result({ from: 'impressions', to: 'impressions' });
  assert.equal(result.clicks.outOfRange, 2);
  assert.equal(result.clicks.orphans, 1);
});

test('arms: configured ones first, then as seen; adding after result() throws', () => {
  const join = new ClickJoin({ windowMs: HOUR, arms: ['champion'] });
  join.addImpression({ requestId: 'a', arm: 'new', unit: 'u', time: T0 });
  const result = join.result();
  assert.deepEqual(result.arms, ['champion', 'new']);
  assert.deepEqual(result.timeRange, { first: T0, last: T0 });
  assert.throws(() => join.addClick({ requestId: 'a', time: T0 }), /after result/);
});

test('half a million impressions and clicks join in well under the test timeout', () => {
  const join = new ClickJoin({ windowMs: 24 * HOUR, arms: ['champion', 'challenger'] });
  const count = 500_000;
  // Clicks first: the worst order for a streaming join, no different here.
  for (let index = 0; index < count; index += 10) join.addClick({ requestId: `r-${index}`, time: T0 + index + 1000 });
  for (let index = 0; index < count; index++) {
    join.addImpression({ requestId: `r-${index}`, arm: index % 2 === 0 ? 'champion' : 'challenger', unit: `u-${index % 50_000}`, time: T0 + index });
  }
  const started = Date.now();
  const result = join.result();
  assert.equal(result.clicks.joined, count / 10);
  assert.equal(result.impressions.counted, count);
  assert.ok(Date.now() - started < 5000);
});
