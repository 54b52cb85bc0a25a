import assert from 'node:assert/strict';
import { test } from 'node:test';
import { absoluteLift, relativeLift, twoProportionZTest } from '../../../src/experiments/statistics/two-proportion.js';
import { assertClose } from './close.js';

// References: statsmodels 0.15.0, `from statsmodels.stats.proportion import proportions_ztest,
// confint_proportions_2indep`. statsmodels computes first-minus-second; kascade's sign is
// challenger (arm 2) minus champion (arm 1), so the challenger is passed first to statsmodels.
// Champion 300/10000 (3.0%), challenger 360/10000 (3.6%) throughout.

test('pooled z-test: challenger 360/10000 against champion 300/10000', () => {
  // proportions_ztest([360, 300], [10000, 10000]) -> (2.3750132976377203, 0.01754831798120966)
  // (proportions_ztest([300, 360], [10000, 10000]) -> (-2.3750132976377203, 0.01754831798120966))
  const { z, pValue } = twoProportionZTest(300, 10_000, 360, 10_000);
  assertClose(z, 2.3750132976377203);
  assertClose(pValue, 0.01754831798120966);
});

test('z-test with unequal arms, challenger worse', () => {
  // proportions_ztest([12, 30], [400, 600]) -> (-1.5446433419988934, 0.12243255641170087)
  const { z, pValue } = twoProportionZTest(30, 600, 12, 400);
  assertClose(z, -1.5446433419988934);
  assertClose(pValue, 0.12243255641170087);
});

test('equal arms: z = 0, p = 1', () => {
  // proportions_ztest([40, 40], [1000, 1000]) -> (0.0, 1.0)
  assert.deepEqual(twoProportionZTest(40, 1000, 40, 1000), { z: 0, pValue: 1 });
});

test('z-test edge cases: no successes, all successes, no trials', () => {
  // statsmodels gives nan for these (0/0); with a zero pooled SE the rates are equal: no evidence.
  assert.deepEqual(twoProportionZTest(0, 1000, 0, 500), { z: 0, pValue: 1 });
  assert.deepEqual(twoProportionZTest(1000, 1000, 500, 500), { z: 0, pValue: 1 });
  assert.deepEqual(twoProportionZTest(0, 0, 30, 1000), { z: 0, pValue: 1 });
  assert.deepEqual(twoProportionZTest(0, 0, 0, 0), { z: 0, pValue: 1 });
  // One arm with no clicks against one with clicks is evidence, not an edge case.
  assert.ok(twoProportionZTest(0, 1000, 30, 1000).z > 5);
  assert.throws(() => twoProportionZTest(11, 10, 1, 10), RangeError);
});

test('absolute lift with the unpooled Wald interval', () => {
  // confint_proportions_2indep(360, 10000, 300, 10000, method='wald', compare='diff')
  //   -> (0.001049238052626967, 0.01095076194737303)
  const lift = absoluteLift(300, 10_000, 360, 10_000);
  assertClose(lift.estimate, 0.006);
  assertClose(lift.low, 0.001049238052626967);
  assertClose(lift.high, 0.01095076194737303);
  // sqrt(0.03*0.97/10000 + 0.036*0.964/10000) -> 0.0025259453675802253
  assertClose(lift.standardError, 0.0025259453675802253);
});

test('absolute lift at 90% confidence, challenger worse', () => {
  // confint_proportions_2indep(12, 400, 30, 600, method='wald', compare='diff', alpha=0.1)
  // is the mirror image of confint_proportions_2indep(30, 600, 12, 400, method='wald', compare='diff', alpha=0.1)
  //   -> (-0.00027355773089654187, 0.04027355773089655)
  const lift = absoluteLift(30, 600, 12, 400, 0.9);
  assertClose(lift.estimate, -0.02);
  assertClose(lift.low, -0.04027355773089655);
  assertClose(lift.high, 0.00027355773089654187);
});

test('absolute lift edge cases', () => {
  const none = absoluteLift(0, 100, 0, 100);
  assert.deepEqual(none, { estimate: 0, low: 0, high: 0, standardError: 0 });
  const all = absoluteLift(100, 100, 50, 50);
  assert.deepEqual(all, { estimate: 0, low: 0, high: 0, standardError: 0 });
  assert.throws(() => absoluteLift(0, 0, 3, 10), RangeError);
});

test('relative lift with the delta method on log(p2/p1)', () => {
  // confint_proportions_2indep(360, 10000, 300, 10000, method='log', compare='ratio')
  //   -> (1.0321377889389551, 1.3951625601077255); kascade reports ratio - 1
  const lift = relativeLift(300, 10_000, 360, 10_000);
  assertClose(lift.estimate, 0.2);
  assertClose(lift.low, 1.0321377889389551 - 1);
  assertClose(lift.high, 1.3951625601077255 - 1);
});

test('relative lift at 90% confidence with unequal arms', () => {
  // confint_proportions_2indep(30, 600, 12, 400, method='log', compare='ratio', alpha=0.1)
  //   -> (0.9599490636084715, 2.893672053115031): the ratio champion/challenger, so
  //   challenger/champion is its reciprocal (1/2.893672053115031, 1/0.9599490636084715)
  const lift = relativeLift(30, 600, 12, 400, 0.9);
  assertClose(lift.estimate, 0.6 - 1);
  assertClose(lift.low, 1 / 2.893672053115031 - 1);
  assertClose(lift.high, 1 / 0.9599490636084715 - 1);
});

test('relative lift needs successes and trials in both arms', () => {
  assert.throws(() => relativeLift(0, 100, 5, 100), RangeError);
  assert.throws(() => relativeLift(5, 100, 0, 100), RangeError);
  assert.throws(() => relativeLift(0, 0, 5, 100), RangeError);
  const equal = relativeLift(50, 50, 50, 50);
  assert.deepEqual(equal, { estimate: 0, low: 0, high: 0 });
});
