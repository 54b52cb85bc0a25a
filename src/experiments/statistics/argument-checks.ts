/**
 * Argument checks shared by the statistics functions. A bad argument here is a caller's bug
 * (a negative count, a confidence of 95 instead of 0.95), not bad data from Kafka, so these
 * throw RangeError like the built-in Math-style APIs do, rather than a KascadeError code.
 */

/** A finite number >= 0 (counts may be weighted, so whole numbers are not required). */
export function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
}

/** A finite number > 0. */
export function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
}

/** A finite number (any sign). */
export function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
}

/** A probability strictly between 0 and 1 (a confidence level, an alpha, a base rate). */
export function requireOpenUnit(name: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`${name} must be strictly between 0 and 1, got ${value}`);
}

/** successes and trials of one arm: both >= 0 and successes <= trials. */
export function requireProportion(successesName: string, successes: number, trialsName: string, trials: number): void {
  requireNonNegative(successesName, successes);
  requireNonNegative(trialsName, trials);
  if (successes > trials) throw new RangeError(`${successesName} (${successes}) must not exceed ${trialsName} (${trials})`);
}
