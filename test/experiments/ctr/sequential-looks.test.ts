import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin, type JoinedImpression, type JoinResult } from '../../../src/experiments/ctr/click-join.js';
import { buildCtrReport } from '../../../src/experiments/ctr/ctr-report.js';
import { formatCtrHtml } from '../../../src/experiments/ctr/report-html.js';
import { formatCtrTable } from '../../../src/experiments/ctr/report-table.js';
import { MIN_LOOK_UNITS, sequentialTests } from '../../../src/experiments/ctr/sequential-looks.js';
import { clusteredDifferenceTest, type ClusterUnit } from '../../../src/experiments/statistics/delta-method.js';
import { defaultMixingVariance, msprt } from '../../../src/experiments/statistics/msprt.js';
import { seededRandom } from '../seeded-random.js';
import { assertClose } from '../statistics/close.js';
import { clickedOf, HOUR, MINUTE, scatteredExperiment as experiment, T0 } from './scattered-experiment.js';

/**
 * Champion 10% throughout; the challenger 30% over its first 600 impressions (12 hours), then no
 * clicks at all: it was far ahead early, and after 1,800 impressions each the arms are level.
 */
function fadedChallenger(): ClickJoin {
  return experiment([
    { name: 'champion', impressions: 1800, rate: () => 100 },
    { name: 'challenger', impressions: 1800, rate: (index) => (index < 600 ? 300 : 0) },
  ]);
}

function impressionsOf(join: JoinResult): JoinedImpression[] {
  const all: JoinedImpression[] = [];
  join.forEachImpression((impression) => all.push(impression));
  return all;
}

/** Units of `arm` as of `time`: impressions shown by then, clicked when their click came by then. */
function unitsAt(impressions: readonly JoinedImpression[], arm: string, time: number): ClusterUnit[] {
  const units = new Map<string, { impressions: number; clicks: number }>();
  for (const impression of impressions) {
    if (impression.arm !== arm || impression.time > time) continue;
    const unit = units.get(impression.unit) ?? { impressions: 0, clicks: 0 };
    unit.impressions++;
    if (impression.clickTime !== undefined && impression.clickTime <= time) unit.clicks++;
    units.set(impression.unit, unit);
  }
  return [...units.values()];
}

/**
 * The same test recomputed from scratch at every event time, with the library's one-look
 * functions: the delta method on the units, τ² from the champion's CTR at that time.
 */
function firstCrossingFromScratch(join: JoinResult, alpha: number): number | undefined {
  const impressions = impressionsOf(join);
  const times = [...new Set(impressions.flatMap((impression) => (impression.clickTime === undefined ? [impression.time] : [impression.time, impression.clickTime])))].sort(
    (a, b) => a - b,
  );
  for (const time of times) {
    const champion = unitsAt(impressions, 'champion', time);
    const challenger = unitsAt(impressions, 'challenger', time);
    if (champion.length < 30 || challenger.length < 30) continue;
    const clicked = champion.reduce((sum, unit) => sum + unit.clicks, 0);
    const shown = champion.reduce((sum, unit) => sum + unit.impressions, 0);
    if (clicked === 0) continue;
    const { difference, standardError } = clusteredDifferenceTest(champion, challenger);
    if (standardError === 0) continue;
    if (msprt({ difference, variance: standardError ** 2, mixingVariance: defaultMixingVariance(clicked / shown), alpha }).reject) return time;
  }
  return undefined;
}

test('a difference that crossed at an earlier look stays decided when the last look no longer shows it; the first crossing is reported', () => {
  const join = fadedChallenger().result();
  const crossing = firstCrossingFromScratch(join, 0.05);
  assert.ok(crossing !== undefined && crossing < T0 + 12 * HOUR, 'the challenger was decided better in its 30% phase');

  const report = buildCtrReport({ join, champion: 'champion' });
  const comparison = report.comparisons[0];
  assert.ok(comparison?.msprt);
  assert.deepEqual(
    report.arms.map((arm) => [arm.impressions, arm.clicked]),
    [
      [1800, clickedOf(1800, 100)],
      [1800, clickedOf(600, 300)],
    ],
  );
  assert.ok(Math.abs(clickedOf(1800, 100) - clickedOf(600, 300)) <= 2, 'the arms end level');
  // The last look sees no difference at all ...
  assert.equal(comparison.msprt.lastLookPValue, 1);
  // ... but the always-valid p is the lowest over the looks, and the decision stands.
  assert.ok(comparison.msprt.alwaysValidPValue <= 0.05);
  assert.equal(comparison.msprt.reject, true);
  assert.equal(comparison.msprt.crossedAt, new Date(crossing).toISOString());
  assert.equal(comparison.verdict, 'challenger-better');
  assert.equal(report.verdict, 'challenger-better');
  assert.equal(report.verdictDetail.decidedAt, new Date(crossing).toISOString());
  assert.equal(report.verdictDetail.alwaysValidPValue, comparison.msprt.alwaysValidPValue);

  const table = formatCtrTable(report);
  assert.match(table, new RegExp(`reached alpha at ${new Date(crossing).toISOString()} \\(reject: the arms differ\\)`));
  assert.match(table, /^ {2}last look: likelihood ratio .* p = 1\.000$/m);
  assert.match(table, new RegExp(`^verdict: challenger-better \\(challenger\\): .*, decided at ${new Date(crossing).toISOString()};`, 'm'));
  assert.match(formatCtrHtml(report), new RegExp(`<td>${new Date(crossing).toISOString()}</td><td>challenger-better</td>`));
});

test('the last look is the one-look mSPRT on the data as it is now', () => {
  const join = experiment([
    { name: 'champion', impressions: 1800, rate: () => 40 },
    { name: 'challenger', impressions: 1500, rate: () => 55 },
  ]).result();
  const outcome = sequentialTests(join, 'champion', ['challenger'], { alpha: 0.05 }).get('challenger');
  assert.ok(outcome !== undefined);
  const impressions = impressionsOf(join);
  const champion = unitsAt(impressions, 'champion', Infinity);
  const { difference, standardError } = clusteredDifferenceTest(champion, unitsAt(impressions, 'challenger', Infinity));
  const mixingVariance = defaultMixingVariance(clickedOf(1800, 40) / 1800);
  const now = msprt({ difference, variance: standardError ** 2, mixingVariance });
  assert.equal(outcome.last.time, Math.max(...impressions.map((impression) => impression.clickTime ?? impression.time)));
  assertClose(outcome.last.difference, difference);
  assertClose(outcome.last.variance, standardError ** 2, 1e-9);
  assertClose(outcome.last.mixingVariance, mixingVariance);
  assertClose(outcome.last.likelihoodRatio, now.likelihoodRatio, 1e-9);
  assert.ok(outcome.minPValue <= outcome.last.pValue);
});

test('no look before each arm has 30 units; the first look comes with the 30th', () => {
  const join = (units: number): JoinResult => {
    const built = new ClickJoin({ windowMs: HOUR, arms: ['champion', 'challenger'] });
    for (let index = 0; index < units; index++) {
      for (const arm of ['champion', 'challenger']) {
        built.addImpression({ requestId: `${arm}-${index}`, arm, unit: `${arm}-${index}`, time: T0 + index * 1000 });
        // The challenger clicks every time, the champion every other time: a wide gap from the start.
        if (arm === 'challenger' || index % 2 === 0) built.addClick({ requestId: `${arm}-${index}`, time: T0 + index * 1000 });
      }
    }
    return built.result();
  };
  assert.equal(MIN_LOOK_UNITS, 30);
  assert.equal(sequentialTests(join(29), 'champion', ['challenger'], { alpha: 0.05 }).size, 0);
  const report = buildCtrReport({ join: join(29), champion: 'champion' });
  assert.equal(report.comparisons[0]?.msprt, null);
  assert.match(formatCtrTable(report), /mSPRT: no look yet \(each arm needs 30 units, and a click\)/);
  const outcome = sequentialTests(join(30), 'champion', ['challenger'], { alpha: 0.05 }).get('challenger');
  assert.equal(outcome?.looks, 1);
  assert.equal(outcome.last.time, T0 + 29_000);
});

test('the outcome does not depend on the order records were read in; events at one time are one look', () => {
  const build = (reversed: boolean): JoinResult => {
    const join = new ClickJoin({ windowMs: HOUR, arms: ['champion', 'challenger'] });
    const records: (() => void)[] = [];
    for (let index = 0; index < 400; index++) {
      for (const arm of ['champion', 'challenger']) {
        const requestId = `${arm}-${index}`;
        // Four impressions share each second.
        const time = T0 + Math.floor(index / 2) * 1000;
        records.push(() => join.addImpression({ requestId, arm, unit: `${arm}-u${index % 50}`, time }));
        if ((index * 7919) % 1000 < (arm === 'champion' ? 100 : 200)) {
          records.push(() => join.addClick({ requestId, time: time + 5000 }));
          records.push(() => join.addClick({ requestId, time: time + 2000 })); // the earliest click counts, whatever is read first
        }
      }
    }
    for (const add of reversed ? records.reverse() : records) add();
    return join.result();
  };
  const forward = sequentialTests(build(false), 'champion', ['challenger'], { alpha: 0.05 }).get('challenger');
  const backward = sequentialTests(build(true), 'champion', ['challenger'], { alpha: 0.05 }).get('challenger');
  assert.ok(forward !== undefined);
  assert.deepEqual(backward, forward);
  // 200 seconds of impressions and 200 of click times (2 s later), overlapping: 202 distinct times; looks from the 30th unit.
  assert.ok(forward.looks < 202);
});

test('re-running the report as data comes in never un-decides an experiment (the last look alone would)', () => {
  // 40 experiments at 3.0% against 4.0%, 8,000 impressions per arm over 24 hours, each reported every 2 hours.
  const random = seededRandom(20250119);
  let decided = 0;
  let undecidedByLastLookAlone = 0;
  for (let experimentIndex = 0; experimentIndex < 40; experimentIndex++) {
    const clicks = new Map<string, number>();
    const shown: JoinedImpression[] = [];
    for (let index = 0; index < 8000; index++) {
      for (const [arm, rate] of [
        ['champion', 0.03],
        ['challenger', 0.04],
      ] as const) {
        const requestId = `${arm}-${index}`;
        const time = T0 + Math.floor((index * 24 * HOUR) / 8000);
        shown.push({ requestId, arm, unit: `${arm}-u${Math.floor(random() * 2000)}`, time, clicked: false, clickTime: undefined });
        if (random() < rate) clicks.set(requestId, time + Math.floor(random() * 30 * MINUTE));
      }
    }
    let decidedAt: number | undefined;
    for (let hours = 2; hours <= 24; hours += 2) {
      const now = T0 + hours * HOUR;
      const join = new ClickJoin({ windowMs: HOUR, arms: ['champion', 'challenger'] });
      for (const impression of shown) {
        if (impression.time > now) continue;
        join.addImpression(impression);
        const clickTime = clicks.get(impression.requestId);
        if (clickTime !== undefined && clickTime <= now) join.addClick({ requestId: impression.requestId, time: clickTime });
      }
      const outcome = sequentialTests(join.result(), 'champion', ['challenger'], { alpha: 0.05 }).get('challenger');
      if (decidedAt !== undefined) {
        assert.equal(outcome?.crossing?.time, decidedAt, `experiment ${experimentIndex}, ${hours} h: decided at ${decidedAt}, then not`);
        assert.ok(outcome.crossing.difference > 0);
        if (outcome.last.pValue > 0.05) undecidedByLastLookAlone++;
      } else if (outcome?.crossing !== undefined) {
        decidedAt = outcome.crossing.time;
        decided++;
      }
    }
  }
  assert.ok(decided >= 10, `${decided} of 40 decided`);
  assert.ok(undecidedByLastLookAlone > 0, 'some later report would have un-decided on its last look alone');
});
