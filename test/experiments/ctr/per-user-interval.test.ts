import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin } from '../../../src/experiments/ctr/click-join.js';
import { buildCtrReport, type CtrReport } from '../../../src/experiments/ctr/ctr-report.js';
import { formatCtrHtml } from '../../../src/experiments/ctr/report-html.js';
import { formatCtrJson } from '../../../src/experiments/ctr/report-json.js';
import { formatCtrTable } from '../../../src/experiments/ctr/report-table.js';
import { assertClose } from '../statistics/close.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1);
/** The 95% two-sided normal quantile. */
const Z95 = 1.959963984540054;

type Unit = readonly [impressions: number, clicks: number];

/** The delta-method interval by its formula: R ± z·√(Σ(y − R·x)² / (n(n − 1)·x̄²)), unclamped. */
function deltaInterval(units: readonly Unit[]): { estimate: number; low: number; high: number } {
  const n = units.length;
  const shown = units.reduce((sum, [x]) => sum + x, 0);
  const clicked = units.reduce((sum, [, y]) => sum + y, 0);
  const ratio = clicked / shown;
  const squares = units.reduce((sum, [x, y]) => sum + (y - ratio * x) ** 2, 0);
  const standardError = Math.sqrt(squares / (n * (n - 1) * (shown / n) ** 2));
  return { estimate: ratio, low: ratio - Z95 * standardError, high: ratio + Z95 * standardError };
}

const ARMS: Readonly<Record<string, readonly Unit[]>> = {
  // 40 users, 4 impressions each, 6 of them clicked one: a healthy interval.
  champion: Array.from({ length: 40 }, (_, index): Unit => [4, index % 7 === 0 ? 1 : 0]),
  // 8 users, 3 impressions each, one click in all: the Wald interval reaches below 0.
  sparse: Array.from({ length: 8 }, (_, index): Unit => [3, index === 0 ? 1 : 0]),
  // 6 users, 2 impressions each, 11 of 12 clicked: it reaches above 1.
  eager: Array.from({ length: 6 }, (_, index): Unit => [2, index === 0 ? 1 : 2]),
  // 40 users, 3 impressions each, no clicks: the interval collapses to [0, 0].
  silent: Array.from({ length: 40 }, (): Unit => [3, 0]),
};

function report(): CtrReport {
  const join = new ClickJoin({ windowMs: HOUR, arms: Object.keys(ARMS) });
  for (const [arm, units] of Object.entries(ARMS)) {
    units.forEach(([impressions, clicks], unit) => {
      for (let index = 0; index < impressions; index++) {
        const requestId = `${arm}-${unit}-${index}`;
        join.addImpression({ requestId, arm, unit: `${arm}-u${unit}`, time: T0 + index * 1000 });
        if (index < clicks) join.addClick({ requestId, time: T0 + index * 1000 + 500 });
      }
    });
  }
  return buildCtrReport({ join: join.result(), champion: 'champion' });
}

test('the per-user interval is clamped to [0, 1]', () => {
  const arms = new Map(report().arms.map((arm) => [arm.name, arm.clustered]));
  const sparse = deltaInterval(ARMS['sparse'] ?? []);
  assert.ok(sparse.low < 0, 'the unclamped interval goes below 0');
  assert.equal(arms.get('sparse')?.low, 0);
  assertClose(arms.get('sparse')?.high ?? Number.NaN, sparse.high);
  assertClose(arms.get('sparse')?.estimate ?? Number.NaN, 1 / 24);
  const eager = deltaInterval(ARMS['eager'] ?? []);
  assert.ok(eager.high > 1, 'the unclamped interval goes above 1');
  assert.equal(arms.get('eager')?.high, 1);
  assertClose(arms.get('eager')?.low ?? Number.NaN, eager.low);
  const champion = deltaInterval(ARMS['champion'] ?? []);
  assertClose(arms.get('champion')?.low ?? Number.NaN, champion.low);
  assertClose(arms.get('champion')?.high ?? Number.NaN, champion.high);
});

test('the output says when the per-user interval is unreliable: few units, no clicks, every impression clicked', () => {
  const built = report();
  const json = JSON.parse(formatCtrJson(built)) as CtrReport;
  assert.deepEqual(
    json.arms.map((arm) => [arm.name, arm.clustered?.unreliable]),
    [
      ['champion', null],
      ['sparse', 'few-units'],
      ['eager', 'few-units'],
      ['silent', 'no-clicks'],
    ],
  );
  assert.deepEqual(json.arms.find((arm) => arm.name === 'silent')?.clustered, { estimate: 0, low: 0, high: 0, standardError: 0, unreliable: 'no-clicks' });

  const table = formatCtrTable(built);
  assert.match(table, /^champion +champion .*\[\d\.\d{3}%, \d\.\d{3}%\]$/m);
  assert.match(table, /^sparse +challenger .*\[0\.000%, \d+\.\d{3}%\] unreliable: 8 units$/m);
  assert.match(table, /^eager +challenger .*\[\d+\.\d{3}%, 100\.000%\] unreliable: 6 units$/m);
  assert.match(table, /^silent +challenger .*\[0\.000%, 0\.000%\] unreliable: no clicks$/m);
  assert.match(table, /arm "sparse": the per-user interval is unreliable: 8 units \(the delta method wants at least 30\)/);
  assert.match(table, /arm "silent": the per-user interval is unreliable: no clicks \(the delta method gives it no width\)/);

  const html = formatCtrHtml(built);
  assert.match(html, /<td class="n">\[0\.000%, 0\.000%\] <span class="muted">unreliable: no clicks<\/span><\/td>/);
  assert.match(html, /<td class="n">\[0\.000%, \d+\.\d{3}%\] <span class="muted">unreliable: 8 units<\/span><\/td>/);
});
