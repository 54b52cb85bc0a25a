import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin } from '../../../src/experiments/ctr/click-join.js';
import { buildCtrReport, type CtrReport } from '../../../src/experiments/ctr/ctr-report.js';
import { formatCtrJson } from '../../../src/experiments/ctr/report-json.js';
import { formatCtrTable } from '../../../src/experiments/ctr/report-table.js';
import { parseWeights, type ArmWeights } from '../../../src/experiments/ctr/weights.js';
import { wilsonInterval } from '../../../src/experiments/statistics/wilson.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1, 0);

/**
 * Champion: 1000 impressions over 200 users (5 each), 30 clicked. Challenger: 1000 over 200
 * users, `challengerClicks` clicked. Impressions spread over 24 hours, the clicked ones scattered
 * among them (so every look sees about the final CTRs).
 */
function experiment(challengerClicks: number): ClickJoin {
  const join = new ClickJoin({ windowMs: 24 * HOUR, arms: ['champion', 'challenger'] });
  for (const [arm, clicks] of [
    ['champion', 30],
    ['challenger', challengerClicks],
  ] as const) {
    for (let index = 0; index < 1000; index++) {
      const requestId = `${arm}-${index}`;
      const time = T0 + Math.floor((index * 24 * HOUR) / 1000);
      join.addImpression({ requestId, arm, unit: `${arm}-user-${index % 200}`, time });
      // 7919 is prime to 1000: the clicked impressions are scattered evenly over time and over users.
      if ((index * 7919) % 1000 < clicks) join.addClick({ requestId, time: time + 60_000 });
    }
  }
  return join;
}

function weights(text: string): ArmWeights {
  const parsed = parseWeights(text);
  assert.ok('weights' in parsed);
  return parsed.weights;
}

test('per arm: impressions, clicked impressions, units, CTR with Wilson and per-user intervals', () => {
  const report = buildCtrReport({ join: experiment(45).result(), weights: weights('champion=50,challenger=50'), champion: 'champion' });
  const [champion, challenger] = report.arms;
  assert.ok(champion !== undefined && challenger !== undefined);
  assert.equal(champion.name, 'champion');
  assert.equal(champion.role, 'champion');
  assert.equal(champion.impressions, 1000);
  assert.equal(champion.clicked, 30);
  assert.equal(champion.units, 200);
  assert.equal(champion.maxImpressionsPerUnit, 5);
  assert.equal(champion.ctr, 0.03);
  assert.deepEqual(champion.wilson, wilsonInterval(30, 1000));
  assert.ok(champion.clustered !== null);
  assert.ok(Math.abs(champion.clustered.estimate - 0.03) < 1e-12);
  assert.equal(challenger.ctr, 0.045);
  assert.equal(challenger.role, 'challenger');
  assert.equal(challenger.weight, 50);
});

test('comparisons: lifts are challenger minus champion, with tests and the mSPRT verdict', () => {
  const report = buildCtrReport({ join: experiment(45).result(), champion: 'champion' });
  const comparison = report.comparisons[0];
  assert.ok(comparison !== undefined);
  assert.equal(comparison.challenger, 'challenger');
  assert.ok(Math.abs((comparison.absoluteLift?.estimate ?? 0) - 0.015) < 1e-12);
  assert.ok(Math.abs((comparison.relativeLift?.estimate ?? 0) - 0.5) < 1e-12);
  assert.ok(comparison.zTest !== null && comparison.zTest.z > 0);
  assert.ok(comparison.clusteredTest !== null);
  assert.equal(comparison.fixedHorizonPValue, comparison.clusteredTest.pValue);
  assert.ok(comparison.msprt !== null);
  assert.equal(comparison.msprt.varianceSource, 'clustered');
  // A 1.5 pp difference on 1000 impressions per arm: not enough for an always-valid decision.
  assert.equal(comparison.verdict, 'no-difference-yet');
  assert.equal(report.verdict, 'no-difference-yet');
  assert.equal(report.verdictDetail.arm, null);
});

test('a large difference is a challenger-better (or champion-better) verdict', () => {
  const better = buildCtrReport({ join: experiment(150).result(), champion: 'champion' });
  assert.equal(better.verdict, 'challenger-better');
  assert.equal(better.verdictDetail.arm, 'challenger');
  assert.ok((better.verdictDetail.alwaysValidPValue ?? 1) < 0.05);
  const worse = buildCtrReport({ join: experiment(0).result(), champion: 'champion', baselineCtr: 0.03 });
  assert.equal(worse.verdict, 'champion-better');
  assert.equal(worse.verdictDetail.mixingVariance, 'baseline');
  assert.equal(worse.comparisons[0]?.relativeLift, null); // no clicks in the challenger: no ratio
});

test('the champion is listed first whatever the join order; without a choice, the earliest arm', () => {
  const join = new ClickJoin({ windowMs: HOUR });
  join.addImpression({ requestId: 'a', arm: 'late-arm', unit: 'u1', time: T0 + 10 });
  join.addImpression({ requestId: 'b', arm: 'early-arm', unit: 'u2', time: T0 });
  const report = buildCtrReport({ join: join.result() });
  assert.equal(report.champion, 'early-arm');
  assert.deepEqual(
    report.arms.map((arm) => arm.name),
    ['early-arm', 'late-arm'],
  );
});

test('SRM: units per arm against the weights; not checked without weights', () => {
  const unchecked = buildCtrReport({ join: experiment(45).result() });
  assert.deepEqual(unchecked.srm, { checked: false, reason: 'SRM not checked: pass --weights' });
  const fair = buildCtrReport({ join: experiment(45).result(), weights: weights('champion=50,challenger=50') });
  assert.ok(fair.srm.checked);
  assert.equal(fair.srm.basis, 'units');
  assert.equal(fair.srm.mismatch, false);
  assert.deepEqual(
    fair.srm.arms.map((arm) => arm.observed),
    [200, 200],
  );
  const skewed = buildCtrReport({ join: experiment(45).result(), weights: weights('champion=90,challenger=10') });
  assert.ok(skewed.srm.checked);
  assert.equal(skewed.srm.mismatch, true);
  assert.match(skewed.notes.join('\n'), /sample ratio mismatch/);
});

test('the JSON shape: stable top-level and nested field names, no NaN', () => {
  const report = buildCtrReport({
    join: experiment(45).result(),
    weights: weights('champion=50,challenger=50'),
    champion: 'champion',
    topics: new Map([
      ['champion', 'impressions.champion'],
      ['challenger', 'impressions.challenger'],
    ]),
    skipped: { impressions: { unreadable: 1, withoutRequestId: 2, withoutArm: 0, outsideTimeRange: 4 }, clicks: { unreadable: 3, outsideTimeRange: 5 } },
    timeSkew: { thresholdMs: HOUR, records: 2083, beyondThreshold: 0, largestMs: 1000 },
    now: T0,
  });
  const parsed = JSON.parse(formatCtrJson(report)) as Record<string, unknown> & CtrReport;
  assert.deepEqual(Object.keys(parsed), [
    'generatedAt',
    'window',
    'range',
    'confidence',
    'champion',
    'arms',
    'comparisons',
    'srm',
    'impressions',
    'clicks',
    'timeSkew',
    'verdict',
    'verdictDetail',
    'timeline',
    'notes',
  ]);
  assert.deepEqual(parsed.window, { ms: 24 * HOUR, text: '24h' });
  assert.deepEqual(parsed.range, { from: null, to: null });
  assert.equal(parsed.generatedAt, new Date(T0).toISOString());
  assert.deepEqual(Object.keys(parsed.arms[0] ?? {}), [
    'name',
    'role',
    'topic',
    'weight',
    'impressions',
    'clicked',
    'units',
    'maxImpressionsPerUnit',
    'ctr',
    'wilson',
    'clustered',
  ]);
  assert.equal(parsed.arms[0]?.topic, 'impressions.champion');
  assert.deepEqual(Object.keys(parsed.comparisons[0] ?? {}), [
    'champion',
    'challenger',
    'absoluteLift',
    'relativeLift',
    'zTest',
    'clusteredTest',
    'msprt',
    'fixedHorizonPValue',
    'verdict',
  ]);
  assert.deepEqual(Object.keys(parsed.comparisons[0]?.msprt ?? {}), [
    'variance',
    'varianceSource',
    'mixingVariance',
    'alpha',
    'likelihoodRatio',
    'threshold',
    'reject',
    'alwaysValidPValue',
    'lastLookPValue',
    'looks',
    'crossedAt',
  ]);
  assert.deepEqual(parsed.clicks, { records: 83, joined: 75, duplicates: 0, orphans: 0, late: 0, early: 0, outOfRange: 0, unreadable: 3, outsideTimeRange: 5 });
  assert.deepEqual(parsed.impressions, {
    records: 2007,
    counted: 2000,
    duplicates: 0,
    conflicting: 0,
    unreadable: 1,
    withoutRequestId: 2,
    withoutArm: 0,
    outsideTimeRange: 4,
    unitsInSeveralArms: 0,
  });
  assert.deepEqual(parsed.timeSkew, { thresholdMs: HOUR, records: 2083, beyondThreshold: 0, largestMs: 1000 });
  assert.deepEqual(Object.keys(parsed.verdictDetail), [
    'rule',
    'arm',
    'alpha',
    'comparisonAlpha',
    'comparisons',
    'alwaysValidPValue',
    'fixedHorizonPValue',
    'mixingVariance',
    'decidedAt',
  ]);
  assert.equal(parsed.timeline.bucketMs, HOUR);
  assert.equal(parsed.timeline.buckets.length, 24);
  assert.equal(
    parsed.timeline.buckets.reduce((sum, bucket) => sum + (bucket.arms[0]?.impressions ?? 0), 0),
    1000,
  );
  assert.doesNotMatch(formatCtrJson(report), /NaN|Infinity/);
});

test('arms without impressions give nulls, not NaN or a throw', () => {
  const join = new ClickJoin({ windowMs: HOUR, arms: ['champion', 'challenger'] });
  join.addImpression({ requestId: 'a', arm: 'champion', unit: 'u', time: T0 });
  const report = buildCtrReport({ join: join.result(), champion: 'champion', weights: weights('champion=1,challenger=1') });
  const challenger = report.arms[1];
  assert.ok(challenger !== undefined);
  assert.equal(challenger.ctr, null);
  assert.equal(challenger.wilson, null);
  const comparison = report.comparisons[0];
  assert.ok(comparison !== undefined);
  assert.equal(comparison.absoluteLift, null);
  assert.equal(comparison.msprt, null);
  assert.equal(report.verdict, 'no-difference-yet');
  assert.doesNotMatch(formatCtrJson(report), /NaN/);
  assert.match(formatCtrTable(report), /challenger/);
});

test('the table shows every arm, the click accounting and the verdict', () => {
  const table = formatCtrTable(buildCtrReport({ join: experiment(45).result(), champion: 'champion', weights: weights('champion=50,challenger=50') }));
  assert.match(table, /^champion +champion +50 +1,000 +30 +200 +3\.000%/m);
  assert.match(table, /^challenger +challenger +50 +1,000 +45 +200 +4\.500%/m);
  assert.match(table, /clicks: 75 joined, 0 duplicates, 0 orphans, 0 late, 0 early/);
  assert.match(table, /SRM \(units against weights champion=50,challenger=50\).*: ok/);
  assert.match(table, /^verdict: no-difference-yet/m);
});
