import assert from 'node:assert/strict';

/**
 * Asserts |actual − expected| <= tolerance · |expected| (relative, so a p-value of 1.5e-23 is
 * checked as strictly as one of 0.3), or |actual| <= tolerance when expected is 0.
 */
export function assertClose(actual: number, expected: number, tolerance = 1e-9, label = ''): void {
  const error = Math.abs(actual - expected);
  const bound = expected === 0 ? tolerance : tolerance * Math.abs(expected);
  assert.ok(error <= bound, `${label ? `${label}: ` : ''}expected ${expected}, got ${actual} (off by ${error})`);
}
