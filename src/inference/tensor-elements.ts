import type { TensorDtype } from '../topology/spec.js';
import type { TensorArray } from './tensor.js';

/**
 * How one record value becomes one tensor element, per dtype. Strict on purpose: a value that
 * would change on the way in (a string that looks like a number, NaN, a float32 overflow, an
 * int64 beyond range) is reported, never coerced, because a silently wrong feature gives a
 * silently wrong prediction. Booleans are the one convenience: true/false feed 1/0.
 */

/**
 * Writes `raw` at `target[index]`. Returns why it cannot, as the rest of a sentence after
 * `field "x" ` (e.g. `is "abc", not a number`), or undefined when written. Success allocates
 * nothing: this runs once per feature per record.
 */
export type ElementWriter = (target: TensorArray, index: number, raw: unknown) => string | undefined;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN_BIG = BigInt(INT32_MIN);
const INT32_MAX_BIG = BigInt(INT32_MAX);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** 2^63 as a double: the first number above the int64 range. */
const INT64_LIMIT = 2 ** 63;

/** One typed array of `length` zeros for `dtype`. */
export function allocateTensorArray(dtype: TensorDtype, length: number): TensorArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int64':
      return new BigInt64Array(length);
  }
}

export function elementWriterFor(dtype: TensorDtype): ElementWriter {
  switch (dtype) {
    case 'float32':
      return writeFloat32;
    case 'float64':
      return writeFloat64;
    case 'int32':
      return writeInt32;
    case 'int64':
      return writeInt64;
  }
}

/** A short description of a value that did not fit: `"abc"`, `null`, `an object` (values may be large or personal). */
export function describeFound(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'missing';
    case 'object':
      if (Array.isArray(value)) return 'an array';
      return ArrayBuffer.isView(value) ? 'bytes' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** A finite number, or why not. bigint and boolean are numbers too (Avro longs decode to bigint when large). */
function finiteNumber(raw: unknown): number | string {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : `is ${raw}, not a finite number`;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return raw === undefined ? 'is missing' : `is ${describeFound(raw)}, not a number`;
}

function writeFloat32(target: TensorArray, index: number, raw: unknown): string | undefined {
  const value = finiteNumber(raw);
  if (typeof value === 'string') return value;
  // Beyond ±3.4e38 a Float32Array would store Infinity.
  if (!Number.isFinite(Math.fround(value))) return `is ${value}, outside the float32 range`;
  (target as Float32Array)[index] = value;
  return undefined;
}

function writeFloat64(target: TensorArray, index: number, raw: unknown): string | undefined {
  const value = finiteNumber(raw);
  if (typeof value === 'string') return value;
  (target as Float64Array)[index] = value;
  return undefined;
}

function writeInt32(target: TensorArray, index: number, raw: unknown): string | undefined {
  if (typeof raw === 'bigint') {
    if (raw < INT32_MIN_BIG || raw > INT32_MAX_BIG) return `is ${raw}, outside the int32 range`;
    (target as Int32Array)[index] = Number(raw);
    return undefined;
  }
  const value = finiteNumber(raw);
  if (typeof value === 'string') return value;
  if (!Number.isInteger(value)) return `is ${value}, not an integer`;
  if (value < INT32_MIN || value > INT32_MAX) return `is ${value}, outside the int32 range`;
  (target as Int32Array)[index] = value;
  return undefined;
}

function writeInt64(target: TensorArray, index: number, raw: unknown): string | undefined {
  if (typeof raw === 'bigint') {
    if (raw < INT64_MIN || raw > INT64_MAX) return `is ${raw}, outside the int64 range`;
    (target as BigInt64Array)[index] = raw;
    return undefined;
  }
  const value = finiteNumber(raw);
  if (typeof value === 'string') return value;
  if (!Number.isInteger(value)) return `is ${value}, not an integer`;
  // BigInt64Array would wrap around silently.
  if (value < -INT64_LIMIT || value >= INT64_LIMIT) return `is ${value}, outside the int64 range`;
  (target as BigInt64Array)[index] = BigInt(value);
  return undefined;
}
