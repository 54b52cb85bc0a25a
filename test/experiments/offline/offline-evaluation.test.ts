import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateOffline, type LoggedDecision, type ShadowDecision } from '../../../src/experiments/offline/offline-evaluation.js';
import { kolmogorovSmirnov, kolmogorovSurvival } from '../../../src/experiments/statistics/kolmogorov-smirnov.js';

test('Kolmogorov-Smirnov: D of known samples, p near 1 for one distribution and tiny for shifted ones', () => {
  assert.equal(kolmogorovSmirnov([1, 2, 3, 4], [1, 2, 3, 4]).statistic, 0);
  assert.equal(kolmogorovSmirnov([1, 2, 3, 4], [5, 6, 7, 8]).statistic, 1);
  assert.equal(kolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]).statistic, 0.5);
  // Q_KS at the textbook critical value 1.358 is 0.05.
  assert.ok(Math.abs(kolmogorovSurvival(1.358) - 0.05) < 0.001);
  const grid = Array.from({ length: 500 }, (_, index) => index / 500);
  assert.ok(kolmogorovSmirnov(grid, grid.map((x) => x + 0.001)).pValue > 0.9);
  assert.ok(kolmogorovSmirnov(grid, grid.map((x) => x + 0.2)).pValue < 1e-6);
  assert.throws(() => kolmogorovSmirnov([], [1]), /at least one value/);
});

test('IPS: unbiased for a challenger\'s CTR under epsilon-greedy logging, on simulated data with known truth', () => {
  // Two ads; the logger prefers "a" (shows it with 0.75); the challenger always picks "b".
  // True CTRs: a 2%, b 10%. Propensity of showing b is 0.25.
  let state = 7;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const logged = new Map<string, LoggedDecision>();
  const shadow = new Map<string, ShadowDecision>();
  const clicked = new Set<string>();
  for (let index = 0; index < 40_000; index++) {
    const requestId = `r${index}`;
    const shown = random() < 0.75 ? 'a' : 'b';
    logged.set(requestId, { requestId, shown, propensity: shown === 'a' ? 0.75 : 0.25, top: 'a', score: 0.02 });
    shadow.set(requestId, { requestId, choice: 'b', score: 0.1 });
    if (random() < (shown === 'a' ? 0.02 : 0.1)) clicked.add(requestId);
  }
  shadow.set('extra', { requestId: 'extra', choice: 'b' });
  const result = evaluateOffline(logged, shadow, clicked);
  assert.equal(result.matched, 40_000);
  assert.equal(result.shadowWithoutLog, 1);
  assert.equal(result.agreement.value, 0);
  assert.ok(result.ips.low <= 0.1 && 0.1 <= result.ips.high, JSON.stringify(result.ips));
  assert.ok(Math.abs(result.snips - 0.1) < 0.01, `SNIPS ${result.snips}`);
  assert.ok(Math.abs(result.loggedCtr.value - (0.75 * 0.02 + 0.25 * 0.1)) < 0.005);
  assert.equal(result.scores.ks?.statistic, 1);
  assert.deepEqual({ ...result.scores.logged, mean: Number(result.scores.logged?.mean.toFixed(12)) }, { count: 40_000, mean: 0.02, p10: 0.02, p50: 0.02, p90: 0.02 });
});

test('IPS says nothing (0 supported) when the logger never showed what the challenger picks', () => {
  const logged = new Map([['r', { requestId: 'r', shown: 'a', propensity: 1, top: 'a' }]]);
  const shadow = new Map([['r', { requestId: 'r', choice: 'b' }]]);
  const result = evaluateOffline(logged, shadow, new Set(['r']));
  assert.equal(result.ips.supported, 0);
  assert.equal(result.ips.value, 0);
  assert.equal(result.scores.ks, undefined);
});
