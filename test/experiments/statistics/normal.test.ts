import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chiSquareSurvival,
  normalCdf,
  normalQuantile,
  twoSidedCriticalValue,
  twoSidedPValue,
} from '../../../src/experiments/statistics/normal.js';
import { assertClose } from './close.js';

// References: scipy 1.17.1 (`from scipy import stats`), values as printed.
test('normalCdf matches scipy.stats.norm.cdf, including the far tail', () => {
  // stats.norm.cdf(-3) -> 0.0013498980316300933
  assertClose(normalCdf(-3), 0.0013498980316300933);
  // stats.norm.cdf(1.5) -> 0.9331927987311419
  assertClose(normalCdf(1.5), 0.9331927987311419);
  // stats.norm.cdf(-10) -> 7.61985302416047e-24 (relative precision kept in the tail)
  assertClose(normalCdf(-10), 7.61985302416047e-24);
  assert.equal(normalCdf(0), 0.5);
  assert.equal(normalCdf(-Infinity), 0);
  assert.equal(normalCdf(Infinity), 1);
});

test('normalQuantile matches scipy.stats.norm.ppf to 1e-9', () => {
  // stats.norm.ppf(0.975) -> 1.959963984540054
  assertClose(normalQuantile(0.975), 1.959963984540054);
  // stats.norm.ppf(0.3) -> -0.5244005127080409 (Acklam's central region)
  assertClose(normalQuantile(0.3), -0.5244005127080409);
  // stats.norm.ppf(1e-10) -> -6.361340902404056 (Acklam's tail region)
  assertClose(normalQuantile(1e-10), -6.361340902404056);
  // stats.norm.isf(0.005) -> 2.575829303548901
  assertClose(normalQuantile(1 - 0.005), 2.575829303548901);
  assert.equal(normalQuantile(0.5), 0);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.throws(() => normalQuantile(1.5), RangeError);
  assert.throws(() => normalQuantile(Number.NaN), RangeError);
});

test('normalQuantile inverts normalCdf across the range, tails included', () => {
  for (const p of [1e-300, 1e-100, 1e-20, 1e-5, 0.02425, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    assertClose(normalCdf(normalQuantile(p)), p, 1e-12, `p = ${p}`);
  }
});

test('two-sided helpers', () => {
  // stats.norm.ppf(0.975) -> 1.959963984540054
  assertClose(twoSidedCriticalValue(0.95), 1.959963984540054);
  // stats.norm.isf(0.005) -> 2.575829303548901
  assertClose(twoSidedCriticalValue(0.99), 2.575829303548901);
  // 2 * stats.norm.cdf(-3) -> 0.0026997960632601866
  assertClose(twoSidedPValue(3), 0.0026997960632601866);
  assertClose(twoSidedPValue(-3), 0.0026997960632601866);
  assert.equal(twoSidedPValue(0), 1);
  assert.throws(() => twoSidedCriticalValue(95), RangeError);
});

test('chiSquareSurvival matches scipy.stats.chi2.sf', () => {
  const cases: readonly (readonly [number, number, number])[] = [
    // [x, df, stats.chi2.sf(x, df)]
    [3.841458820694124, 1, 0.04999999999999989],
    [1, 1, 0.31731050786291115],
    [150, 1, 1.7336432457178413e-34],
    [20, 2, 4.539992976248486e-5],
    [0.5, 3, 0.9188914116546758],
    [10, 5, 0.07523524614651217],
    [30, 20, 0.06985366069940986],
    [60, 50, 0.1572420272383916],
    [100, 50, 3.454931382984871e-5],
  ];
  for (const [x, df, expected] of cases) assertClose(chiSquareSurvival(x, df), expected, 1e-9, `chi2.sf(${x}, ${df})`);
  assert.equal(chiSquareSurvival(0, 4), 1);
  assert.equal(chiSquareSurvival(-1, 4), 1);
  assert.throws(() => chiSquareSurvival(1, 0), RangeError);
});
