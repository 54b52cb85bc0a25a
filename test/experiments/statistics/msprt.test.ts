import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultMixingVariance, msprt, msprtBoundary } from '../../../src/experiments/statistics/msprt.js';
import { absoluteLift, twoProportionZTest } from '../../../src/experiments/statistics/two-proportion.js';
import { seededRandom } from '../seeded-random.js';
import { assertClose } from './close.js';

// Champion 300/10000, challenger 360/10000: d = 0.006 and the unpooled variance
//   V = 0.03*0.97/10000 + 0.036*0.964/10000 -> 6.380399999999999e-06
// with τ² = defaultMixingVariance(0.03) = (0.1*0.03)**2 -> 9e-06.
// References from Python 3.11 (math; scipy 1.17.1 for the integral), with d, V, t2 as above.
const V = (0.03 * 0.97) / 10_000 + (0.036 * 0.964) / 10_000;
const TAU2 = 9e-6;

test('Λ matches the closed form and the mixture integral it comes from', () => {
  // math.sqrt(V/(V+t2))*math.exp(t2*d**2/(2*V*(V+t2))) -> 3.3564621324583195
  // integrate.quad(lambda th: stats.norm.pdf(d, th, math.sqrt(V))*stats.norm.pdf(th, 0, math.sqrt(t2)),
  //   -0.05, 0.05, points=[0, d], epsabs=0, epsrel=1e-13, limit=200)[0] / stats.norm.pdf(d, 0, math.sqrt(V))
  //   -> 3.356462132458321 (the definition: ∫ N(d; θ, V) N(θ; 0, τ²) dθ / N(d; 0, V))
  const result = msprt({ difference: 0.006, variance: V, mixingVariance: TAU2 });
  assertClose(result.likelihoodRatio, 3.3564621324583195);
  assert.equal(result.threshold, 20);
  assert.equal(result.reject, false);
  assertClose(result.alwaysValidPValue, 1 / 3.3564621324583195);
  // The same observation is significant for a one-look z-test (p = 0.0175), not yet for the
  // always-valid test, which pays for the right to look at every batch.
  assert.ok(twoProportionZTest(300, 10_000, 360, 10_000).pValue < 0.05);
});

test('a larger difference crosses 1/α', () => {
  // with d2 = 0.009: math.sqrt(V/(V+t2))*math.exp(t2*d2**2/(2*V*(V+t2))) -> 26.42766354864673
  // (integrate.quad as above with d2 -> 26.42766354864669)
  const result = msprt({ difference: 0.009, variance: V, mixingVariance: TAU2, alpha: 0.05 });
  assertClose(result.likelihoodRatio, 26.42766354864673);
  assert.equal(result.reject, true);
  assertClose(result.alwaysValidPValue, 1 / 26.42766354864673);
  // Λ depends on d², so the sign does not matter.
  assertClose(msprt({ difference: -0.009, variance: V, mixingVariance: TAU2 }).likelihoodRatio, 26.42766354864673);
});

test('the variance can come straight from absoluteLift', () => {
  const lift = absoluteLift(300, 10_000, 360, 10_000);
  const result = msprt({ difference: lift.estimate, variance: lift.standardError ** 2, mixingVariance: defaultMixingVariance(0.03) });
  assertClose(result.likelihoodRatio, 3.3564621324583195);
});

test('the boundary is where Λ = 1/α', () => {
  // math.sqrt(2*V*(V+t2)/t2*(math.log(1/0.05) + 0.5*math.log((V+t2)/V))) -> 0.008655792662745253
  // and Λ there: math.sqrt(V/(V+t2))*math.exp(t2*b**2/(2*V*(V+t2))) -> 20.000000000000004
  const boundary = msprtBoundary(V, TAU2, 0.05);
  assertClose(boundary, 0.008655792662745253);
  assertClose(msprt({ difference: boundary, variance: V, mixingVariance: TAU2 }).likelihoodRatio, 20);
  assert.equal(msprt({ difference: boundary * (1 - 1e-6), variance: V, mixingVariance: TAU2 }).reject, false);
  assert.equal(msprt({ difference: boundary * (1 + 1e-6), variance: V, mixingVariance: TAU2 }).reject, true);
  // For other α, V and τ² too.
  for (const [variance, mixingVariance, alpha] of [
    [1e-4, 1e-6, 0.01],
    [2.5e-7, 4e-6, 0.1],
    [1, 1, 0.05],
  ] as const) {
    const d = msprtBoundary(variance, mixingVariance, alpha);
    assertClose(msprt({ difference: d, variance, mixingVariance, alpha }).likelihoodRatio, 1 / alpha, 1e-9, `V=${variance}`);
  }
});

test('the always-valid p-value is a running minimum and a rejection sticks', () => {
  const first = msprt({ difference: 0.009, variance: V, mixingVariance: TAU2 });
  const later = msprt({ difference: 0.001, variance: V, mixingVariance: TAU2, previousPValue: first.alwaysValidPValue });
  assert.ok(later.likelihoodRatio < 1);
  assert.equal(later.alwaysValidPValue, first.alwaysValidPValue);
  assert.equal(later.reject, true);
  const calm = msprt({ difference: 0, variance: V, mixingVariance: TAU2 });
  assert.equal(calm.alwaysValidPValue, 1);
  assert.equal(calm.reject, false);
});

test('overwhelming evidence does not overflow into NaN', () => {
  const result = msprt({ difference: 0.5, variance: 1e-12, mixingVariance: TAU2 });
  assert.equal(result.likelihoodRatio, Infinity);
  assert.equal(result.alwaysValidPValue, 0);
  assert.equal(result.reject, true);
});

test('defaultMixingVariance is the square of a 10% relative lift', () => {
  assertClose(defaultMixingVariance(0.03), 9e-6);
  assertClose(defaultMixingVariance(0.03, 0.2), 3.6e-5);
  assert.throws(() => defaultMixingVariance(0), RangeError);
  assert.throws(() => defaultMixingVariance(1.2), RangeError);
});

test('bad arguments throw RangeError', () => {
  assert.throws(() => msprt({ difference: 0.01, variance: 0, mixingVariance: TAU2 }), RangeError);
  assert.throws(() => msprt({ difference: 0.01, variance: V, mixingVariance: -1 }), RangeError);
  assert.throws(() => msprt({ difference: Number.NaN, variance: V, mixingVariance: TAU2 }), RangeError);
  assert.throws(() => msprt({ difference: 0.01, variance: V, mixingVariance: TAU2, alpha: 1 }), RangeError);
  assert.throws(() => msprt({ difference: 0.01, variance: V, mixingVariance: TAU2, previousPValue: 2 }), RangeError);
  assert.throws(() => msprtBoundary(V, 0, 0.05), RangeError);
});

test('under no difference, looking after every batch: peeking z-tests reject far above α, the mSPRT stays below it', () => {
  const random = seededRandom(20240601);
  const experiments = 200;
  const looks = 20;
  const batch = 500;
  const rate = 0.05;
  const mixingVariance = defaultMixingVariance(rate);
  let peekingRejections = 0;
  let msprtRejections = 0;
  for (let experiment = 0; experiment < experiments; experiment += 1) {
    let clicks1 = 0;
    let clicks2 = 0;
    let rejectedByPeeking = false;
    let previousPValue = 1;
    let rejectedByMsprt = false;
    for (let look = 1; look <= looks; look += 1) {
      for (let i = 0; i < batch; i += 1) {
        if (random() < rate) clicks1 += 1;
        if (random() < rate) clicks2 += 1;
      }
      const n = look * batch;
      if (twoProportionZTest(clicks1, n, clicks2, n).pValue < 0.05) rejectedByPeeking = true;
      const lift = absoluteLift(clicks1, n, clicks2, n);
      if (lift.standardError > 0) {
        const result = msprt({ difference: lift.estimate, variance: lift.standardError ** 2, mixingVariance, previousPValue });
        previousPValue = result.alwaysValidPValue;
        rejectedByMsprt = result.reject;
      }
    }
    if (rejectedByPeeking) peekingRejections += 1;
    if (rejectedByMsprt) msprtRejections += 1;
  }
  assert.ok(peekingRejections > 0.1 * experiments, `peeking rejected ${peekingRejections} of ${experiments}`);
  assert.ok(msprtRejections <= 0.05 * experiments, `mSPRT rejected ${msprtRejections} of ${experiments}`);
});
