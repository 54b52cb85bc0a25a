import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wilsonInterval } from '../../../src/experiments/statistics/wilson.js';
import { assertClose } from './close.js';

// References: statsmodels 0.15.0, `from statsmodels.stats.proportion import proportion_confint`.
test('Wilson interval for 30 clicks in 1000 impressions', () => {
  // proportion_confint(30, 1000, method='wilson') -> (0.021093738828834696, 0.042503414147587126)
  const { low, high } = wilsonInterval(30, 1000);
  assertClose(low, 0.021093738828834696);
  assertClose(high, 0.042503414147587126);
});

test('other confidence levels', () => {
  // proportion_confint(30, 1000, alpha=0.01, method='wilson') -> (0.018906316302827998, 0.04728937870637443)
  const wide = wilsonInterval(30, 1000, 0.99);
  assertClose(wide.low, 0.018906316302827998);
  assertClose(wide.high, 0.04728937870637443);
  // proportion_confint(7, 9, alpha=0.1, method='wilson') -> (0.5036427823767538, 0.9235052624456037)
  const small = wilsonInterval(7, 9, 0.9);
  assertClose(small.low, 0.5036427823767538);
  assertClose(small.high, 0.9235052624456037);
});

test('no successes: the low bound is exactly 0', () => {
  // proportion_confint(0, 50, method='wilson') -> (0.0, 0.07134759913335874)
  const { low, high } = wilsonInterval(0, 50);
  assert.equal(low, 0);
  assertClose(high, 0.07134759913335874);
});

test('all successes: the high bound is exactly 1', () => {
  // proportion_confint(50, 50, method='wilson') -> (0.9286524008666412, 1.0)
  const { low, high } = wilsonInterval(50, 50);
  assertClose(low, 0.9286524008666412);
  assert.equal(high, 1);
});

test('no trials is no information', () => {
  assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 });
});

test('bad arguments throw RangeError', () => {
  assert.throws(() => wilsonInterval(5, 3), RangeError);
  assert.throws(() => wilsonInterval(-1, 3), RangeError);
  assert.throws(() => wilsonInterval(1, Number.NaN), RangeError);
  assert.throws(() => wilsonInterval(1, 3, 95), RangeError);
  assert.throws(() => wilsonInterval(0, 0, 1), RangeError);
});
