import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleRatioMismatch } from '../../../src/experiments/statistics/srm.js';
import { assertClose } from './close.js';

// References: scipy 1.17.1, `from scipy import stats`.
test('5050 / 4950 at 50/50 is normal noise', () => {
  // stats.chisquare([5050, 4950]) -> statistic=1.0, pvalue=0.31731050786291115
  const result = sampleRatioMismatch([5050, 4950], [50, 50]);
  assertClose(result.chiSquare, 1);
  assert.equal(result.degreesOfFreedom, 1);
  assertClose(result.pValue, 0.31731050786291115);
  assert.equal(result.mismatch, false);
});

test('5500 / 4500 at 50/50 is a sample ratio mismatch', () => {
  // stats.chisquare([5500, 4500]) -> statistic=100.0, pvalue=1.5239706048320995e-23
  const result = sampleRatioMismatch([5500, 4500], [50, 50]);
  assertClose(result.chiSquare, 100);
  assertClose(result.pValue, 1.5239706048320995e-23);
  assert.equal(result.mismatch, true);
});

test('weights are normalised, whatever their scale', () => {
  // stats.chisquare([9100, 900], f_exp=[9000, 1000]) -> statistic=11.11111111111111, pvalue=0.0008581206663936758
  for (const weights of [[90, 10], [0.9, 0.1], [9, 1]]) {
    const result = sampleRatioMismatch([9100, 900], weights);
    assertClose(result.chiSquare, 11.11111111111111);
    assertClose(result.pValue, 0.0008581206663936758);
    assert.equal(result.mismatch, true);
  }
  // The threshold decides: at 0.0005 the same p-value is no alarm.
  assert.equal(sampleRatioMismatch([9100, 900], [90, 10], 0.0005).mismatch, false);
});

test('three arms', () => {
  // stats.chisquare([820, 95, 85], f_exp=[800, 100, 100]) -> statistic=3.0, pvalue=0.22313016014842982
  const result = sampleRatioMismatch([820, 95, 85], [80, 10, 10]);
  assertClose(result.chiSquare, 3);
  assert.equal(result.degreesOfFreedom, 2);
  assertClose(result.pValue, 0.22313016014842982);
  assert.equal(result.mismatch, false);
});

test('edge cases: exact fit, no units, an arm switched off', () => {
  assert.deepEqual(sampleRatioMismatch([500, 500], [1, 1]), { chiSquare: 0, degreesOfFreedom: 1, pValue: 1, mismatch: false });
  assert.deepEqual(sampleRatioMismatch([0, 0], [1, 1]), { chiSquare: 0, degreesOfFreedom: 1, pValue: 1, mismatch: false });
  // A weight-0 arm with no units is left out ...
  const off = sampleRatioMismatch([5050, 4950, 0], [50, 50, 0]);
  assert.equal(off.degreesOfFreedom, 1);
  assertClose(off.pValue, 0.31731050786291115);
  // ... and any unit in it is a mismatch outright.
  assert.deepEqual(sampleRatioMismatch([5000, 4999, 1], [50, 50, 0]), {
    chiSquare: Infinity,
    degreesOfFreedom: 1,
    pValue: 0,
    mismatch: true,
  });
});

test('bad arguments throw RangeError', () => {
  assert.throws(() => sampleRatioMismatch([1, 2], [1]), RangeError);
  assert.throws(() => sampleRatioMismatch([1], [1]), RangeError);
  assert.throws(() => sampleRatioMismatch([1, 2], [1, 0]), RangeError);
  assert.throws(() => sampleRatioMismatch([-1, 2], [1, 1]), RangeError);
  assert.throws(() => sampleRatioMismatch([1, 2], [1, -1]), RangeError);
  assert.throws(() => sampleRatioMismatch([1, 2], [1, 1], 0), RangeError);
});
