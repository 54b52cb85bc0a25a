import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCtrReport, type CtrReport } from '../../../src/experiments/ctr/ctr-report.js';
import { formatCtrHtml } from '../../../src/experiments/ctr/report-html.js';
import { formatCtrJson } from '../../../src/experiments/ctr/report-json.js';
import { formatCtrTable } from '../../../src/experiments/ctr/report-table.js';
import { scatteredExperiment } from './scattered-experiment.js';

/**
 * Two challengers: alpha 0.05 is split between them (Bonferroni), so each comparison is tested at
 * 0.025. "bold" clicks 12.6% against the champion's 10%: its always-valid p (about 0.03) is below
 * the overall alpha but not below its own, and the verdict is no-difference-yet; the output must
 * set that p next to the 0.025 it was tested at, not the 0.05.
 */
function twoChallengers(): CtrReport {
  const join = scatteredExperiment([
    { name: 'champion', impressions: 1800, rate: () => 100 },
    { name: 'bold', impressions: 1800, rate: () => 126 },
    { name: 'mild', impressions: 1800, rate: () => 100 },
  ]);
  return buildCtrReport({ join: join.result(), champion: 'champion' });
}

test('with several challengers the verdict states the alpha each comparison is tested at, in the table, HTML and JSON', () => {
  const report = twoChallengers();
  const bold = report.comparisons.find((comparison) => comparison.challenger === 'bold');
  assert.ok(bold?.msprt);
  const p = bold.msprt.alwaysValidPValue;
  assert.ok(p > 0.025 && p < 0.05, `bold's always-valid p is ${p}`);
  assert.equal(bold.msprt.alpha, 0.025);
  assert.equal(bold.verdict, 'no-difference-yet');
  assert.equal(report.verdict, 'no-difference-yet');

  const json = JSON.parse(formatCtrJson(report)) as CtrReport;
  assert.equal(json.verdictDetail.alpha, 0.05);
  assert.equal(json.verdictDetail.comparisonAlpha, 0.025);
  assert.equal(json.verdictDetail.alwaysValidPValue, p);

  const shown = p.toFixed(3);
  const table = formatCtrTable(report);
  assert.match(table, new RegExp(`^verdict: no-difference-yet: mSPRT at alpha 0\\.025 per comparison \\(0\\.05 over 2 challengers\\), always-valid p = ${shown};`, 'm'));
  assert.doesNotMatch(table, /mSPRT at alpha 0\.05[,:]/);
  assert.match(table, new RegExp(`^ {2}mSPRT at alpha 0\\.025: always-valid p = ${shown},`, 'm'));
  assert.match(table, /alpha 0\.05 is split over 2 challengers \(Bonferroni\): each comparison is tested at alpha 0\.025/);

  const html = formatCtrHtml(report);
  assert.match(html, new RegExp(`mSPRT at alpha 0\\.025 per comparison \\(0\\.05 over 2 challengers\\), always-valid p = ${shown} `));
  assert.match(html, /<th>alpha<\/th>/);
  assert.match(html, new RegExp(`<tr><td>bold vs champion</td>.*<td class="n">0\\.025</td><td class="n">${shown}</td>`));
});

test('with one challenger the verdict alpha is the overall alpha', () => {
  const join = scatteredExperiment([
    { name: 'champion', impressions: 1800, rate: () => 100 },
    { name: 'challenger', impressions: 1800, rate: () => 126 },
  ]);
  const report = buildCtrReport({ join: join.result(), champion: 'champion' });
  assert.equal(report.verdictDetail.comparisonAlpha, 0.05);
  assert.match(formatCtrTable(report), /^verdict: challenger-better \(challenger\): mSPRT at alpha 0\.05, always-valid p = /m);
});
