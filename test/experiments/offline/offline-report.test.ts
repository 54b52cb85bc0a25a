import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateOffline } from '../../../src/experiments/offline/offline-evaluation.js';
import { formatOfflineHtml, formatOfflineJson, formatOfflineTable, type OfflineReport } from '../../../src/experiments/offline/offline-report.js';

const logged = new Map(
  Array.from({ length: 8 }, (_, index) => [`r${index}`, { requestId: `r${index}`, shown: index % 2 === 0 ? 'a' : 'b', propensity: 0.5, top: 'a', score: index / 10 }] as const),
);
const shadow = new Map(Array.from({ length: 8 }, (_, index) => [`r${index}`, { requestId: `r${index}`, choice: 'b', score: index / 8 }] as const));
const report: OfflineReport = { topics: { logged: 'logged', shadow: 'shadow.ranked', clicks: 'clicks' }, evaluation: evaluateOffline(logged, shadow, new Set(['r1', 'r3', 'r4'])) };

test('the table names the topics and shows agreement, logged CTR, IPS with its interval, and the score shift', () => {
  const table = formatOfflineTable(report);
  assert.match(table, /challenger shadow\.ranked against the logged logged \(clicks clicks\)/);
  assert.match(table, /requests compared\s+8 /);
  assert.match(table, /agreement \(same top choice\) 0\.000%/);
  assert.match(table, /logged policy CTR\s+37\.500%/);
  // IPS: clicks on b (r1, r3) each weigh 1 / 0.5 = 2, over 8 requests: 50%.
  assert.match(table, /challenger CTR, IPS\s+50\.000%\s+\[\d+\.\d+%, \d+\.\d+%\]\s+\(95% CI/);
  assert.match(table, /score shift \(KS\)\s+D = 0\.\d{4}, p = /);
});

test('JSON carries the whole evaluation; HTML is one self-contained page with both score CDFs', () => {
  const json = JSON.parse(formatOfflineJson(report)) as OfflineReport;
  assert.equal(json.evaluation.ips.value, 0.5);
  assert.equal(json.evaluation.ips.supported, 4);
  const html = formatOfflineHtml(report, [...logged.values()].map((entry) => entry.score), [...shadow.values()].map((entry) => entry.score));
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<polyline /g) ?? []).length, 2);
  assert.doesNotMatch(html, /<script|https?:\/\//, 'no scripts, nothing fetched');
});
