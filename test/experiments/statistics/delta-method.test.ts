import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterUnit } from '../../../src/experiments/statistics/delta-method.js';
import {
  clusteredDifferenceTest,
  clusteredInterval,
  clusteredRatio,
} from '../../../src/experiments/statistics/delta-method.js';
import { assertClose } from './close.js';

// Six hand-made users per arm. References from numpy 2.4.6 / scipy 1.17.1 with
//   x1 = np.array([3, 5, 1, 8, 2, 4]); y1 = np.array([1, 0, 0, 3, 1, 0])   # champion
//   x2 = np.array([6, 2, 7, 3, 4, 5]); y2 = np.array([2, 1, 3, 0, 1, 2])   # challenger
//   dv = lambda x, y, R, n: (np.var(y, ddof=1) - 2*R*np.cov(x, y, ddof=1)[0, 1] + R**2*np.var(x, ddof=1)) / (n*x.mean()**2)
// which is the formula in delta-method.ts: Var(R) = (s_y² − 2R·s_xy + R²·s_x²) / (n·x̄²), sample (n − 1) moments.
const champion: readonly ClusterUnit[] = [
  { impressions: 3, clicks: 1 },
  { impressions: 5, clicks: 0 },
  { impressions: 1, clicks: 0 },
  { impressions: 8, clicks: 3 },
  { impressions: 2, clicks: 1 },
  { impressions: 4, clicks: 0 },
];
const challenger: readonly ClusterUnit[] = [
  { impressions: 6, clicks: 2 },
  { impressions: 2, clicks: 1 },
  { impressions: 7, clicks: 3 },
  { impressions: 3, clicks: 0 },
  { impressions: 4, clicks: 1 },
  { impressions: 5, clicks: 2 },
];

test('ratio of means and its delta-method variance', () => {
  const result = clusteredRatio(champion);
  // y1.sum()/x1.sum() -> 0.21739130434782608
  assertClose(result.ratio, 0.21739130434782608);
  // dv(x1, y1, y1.sum()/x1.sum(), 6) -> 0.009108029202297018
  assertClose(result.variance, 0.009108029202297018);
  assertClose(result.standardError, Math.sqrt(0.009108029202297018));
  assert.equal(result.units, 6);
  // The per-impression binomial variance R(1-R)/Σx would be 0.007397057614859867: smaller,
  // because it ignores that clicks cluster in users.
  assert.ok(result.variance > 0.0073970576);

  const other = clusteredRatio(challenger);
  // y2.sum()/x2.sum() -> 0.3333333333333333
  assertClose(other.ratio, 1 / 3);
  // dv(x2, y2, y2.sum()/x2.sum(), 6) -> 0.002926383173296754
  assertClose(other.variance, 0.002926383173296754);
});

test('Wald interval around the clustered ratio', () => {
  // R1 - stats.norm.ppf(0.975)*math.sqrt(V1) -> 0.030340190696226677
  // R1 + stats.norm.ppf(0.975)*math.sqrt(V1) -> 0.4044424179994255
  const interval = clusteredInterval(champion);
  assertClose(interval.estimate, 0.21739130434782608);
  assertClose(interval.low, 0.030340190696226677);
  assertClose(interval.high, 0.4044424179994255);
  assertClose(interval.standardError, Math.sqrt(0.009108029202297018));
});

test('difference test between the arms', () => {
  const result = clusteredDifferenceTest(champion, challenger);
  assertClose(result.difference, 1 / 3 - 0.21739130434782608);
  // math.sqrt(V1+V2) -> 0.10970146934108846
  assertClose(result.standardError, 0.10970146934108846);
  // (R2-R1)/math.sqrt(V1+V2) -> 1.056886746202235
  assertClose(result.z, 1.056886746202235);
  // 2*stats.norm.sf(abs(R2-R1)/math.sqrt(V1+V2)) -> 0.290563277999332
  assertClose(result.pValue, 0.290563277999332);
  // Swapping the arms flips the sign only.
  const swapped = clusteredDifferenceTest(challenger, champion);
  assertClose(swapped.z, -1.056886746202235);
  assertClose(swapped.pValue, 0.290563277999332);
});

test('one impression per user reduces to the binomial variance (n - 1 moments)', () => {
  // With xᵢ = 1: Var(R) = s_y²/n = p(1-p)/(n-1) for 0/1 clicks.
  const units = Array.from({ length: 40 }, (_, index) => ({ impressions: 1, clicks: index < 10 ? 1 : 0 }));
  assertClose(clusteredRatio(units).variance, (0.25 * 0.75) / 39);
});

test('edge cases: equal arms, no clicks, no variance, too few units', () => {
  const equal = clusteredDifferenceTest(champion, champion);
  assert.equal(equal.z, 0);
  assert.equal(equal.pValue, 1);
  const noClicks = [
    { impressions: 3, clicks: 0 },
    { impressions: 5, clicks: 0 },
  ];
  assert.deepEqual(clusteredRatio(noClicks), { ratio: 0, variance: 0, standardError: 0, units: 2 });
  assert.deepEqual(clusteredDifferenceTest(noClicks, noClicks), { z: 0, pValue: 1, difference: 0, standardError: 0 });
  const allClicks = [
    { impressions: 2, clicks: 2 },
    { impressions: 4, clicks: 4 },
  ];
  const allResult = clusteredRatio(allClicks);
  assert.equal(allResult.ratio, 1);
  assert.ok(allResult.variance < 1e-15);
  assert.throws(() => clusteredRatio([{ impressions: 3, clicks: 1 }]), RangeError);
  assert.throws(() => clusteredRatio([]), RangeError);
  assert.throws(
    () =>
      clusteredRatio([
        { impressions: 0, clicks: 0 },
        { impressions: 0, clicks: 0 },
      ]),
    RangeError,
  );
  assert.throws(
    () =>
      clusteredRatio([
        { impressions: 3, clicks: -1 },
        { impressions: 2, clicks: 0 },
      ]),
    RangeError,
  );
});
