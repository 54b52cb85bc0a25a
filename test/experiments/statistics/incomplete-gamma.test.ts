import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logGamma, regularizedGammaP, regularizedGammaQ } from '../../../src/experiments/statistics/incomplete-gamma.js';
import { assertClose } from './close.js';

// References: scipy 1.17.1.
test('logGamma matches scipy.special.gammaln', () => {
  // special.gammaln(0.1) -> 2.252712651734206
  assertClose(logGamma(0.1), 2.252712651734206);
  // special.gammaln(0.5) -> 0.5723649429247
  assertClose(logGamma(0.5), 0.5723649429247);
  // special.gammaln(1) -> 0.0
  assert.ok(Math.abs(logGamma(1)) < 1e-14);
  // special.gammaln(3.5) -> 1.2009736023470743
  assertClose(logGamma(3.5), 1.2009736023470743);
  // special.gammaln(25.5) -> 56.38916764371994
  assertClose(logGamma(25.5), 56.38916764371994);
  // special.gammaln(100.3) -> 360.5147057290581
  assertClose(logGamma(100.3), 360.5147057290581);
});

test('P and Q match scipy.special.gammainc / gammaincc on both sides of x = a + 1', () => {
  // special.gammaincc(0.5, 0.3) -> 0.4385780260809997; special.gammainc(0.5, 0.3) -> 0.5614219739190003
  assertClose(regularizedGammaQ(0.5, 0.3), 0.4385780260809997);
  assertClose(regularizedGammaP(0.5, 0.3), 0.5614219739190003);
  // special.gammaincc(2.5, 7.0) -> 0.01560941610026691; special.gammainc(2.5, 7.0) -> 0.9843905838997331
  assertClose(regularizedGammaQ(2.5, 7), 0.01560941610026691);
  assertClose(regularizedGammaP(2.5, 7), 0.9843905838997331);
  // special.gammaincc(10, 3) -> 0.9988975118698845; special.gammainc(10, 3) -> 0.0011024881301154815
  assertClose(regularizedGammaQ(10, 3), 0.9988975118698845);
  assertClose(regularizedGammaP(10, 3), 0.0011024881301154815);
});

test('the ends of the range and bad arguments', () => {
  assert.equal(regularizedGammaP(2, 0), 0);
  assert.equal(regularizedGammaQ(2, 0), 1);
  assert.equal(regularizedGammaQ(2, Infinity), 0);
  assert.throws(() => regularizedGammaQ(0, 1), RangeError);
  assert.throws(() => regularizedGammaQ(1, -1), RangeError);
  assert.throws(() => regularizedGammaQ(1, Number.NaN), RangeError);
  assert.throws(() => logGamma(-2), RangeError);
});
