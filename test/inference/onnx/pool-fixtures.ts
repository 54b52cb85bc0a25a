import assert from 'node:assert/strict';
import { isKascadeError } from '../../../src/errors.js';
import type { ErrorCode, KascadeError } from '../../../src/errors.js';
import type { OnnxWorkerPool } from '../../../src/inference/onnx/onnx-worker-pool.js';
import type { TensorData } from '../../../src/inference/tensor.js';
import { matMulChainModel } from './tiny-onnx.js';

export const float32 = (rows: readonly (readonly number[])[]): TensorData => ({
  dtype: 'float32',
  data: Float32Array.from(rows.flat()),
  dims: [rows.length, rows[0]?.length ?? 0],
});

/** Rows of a [rows, columns] float32 tensor. */
export function rowsOf(tensor: TensorData | undefined): number[][] {
  assert.ok(tensor !== undefined, 'output missing');
  const [rows = 0, columns = 0] = tensor.dims;
  const values = Array.from(tensor.data as Float32Array);
  return Array.from({ length: rows }, (_, row) => values.slice(row * columns, (row + 1) * columns));
}

export function assertClose(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, 'rows');
  actual.forEach((row, i) => {
    assert.equal(row.length, expected[i]!.length, `columns of row ${i}`);
    row.forEach((value, j) => assert.ok(Math.abs(value - expected[i]![j]!) <= tolerance, `[${i}][${j}]: ${value} vs ${expected[i]![j]!}`));
  });
}

/** Awaits a rejection and checks it is a KascadeError with `code`; returns it for further checks. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<KascadeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isKascadeError(error, code), `expected ${code}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${code}, the promise resolved`);
}

export interface SlowModel {
  readonly bytes: Uint8Array;
  readonly feeds: () => Record<string, TensorData>;
}

const ROWS = 256;
const SIZE = 256;

const chainFeeds = (): Record<string, TensorData> => ({
  X: { dtype: 'float32', data: new Float32Array(ROWS * SIZE).fill(0.5), dims: [ROWS, SIZE] },
});

/**
 * A MatMul chain that takes about `targetMs` per run on this machine: a short chain is timed
 * first and the depth scaled from it, so the test means the same on fast and slow machines.
 */
export async function calibrateSlowModel(pool: OnnxWorkerPool, targetMs: number): Promise<SlowModel> {
  const probeDepth = 100;
  await pool.load('calibration', matMulChainModel({ rows: ROWS, size: SIZE, depth: probeDepth }));
  await pool.run('calibration', chainFeeds()); // warm-up
  const { inferenceMs } = await pool.run('calibration', chainFeeds());
  await pool.release('calibration');
  const depth = Math.min(50_000, Math.ceil((probeDepth * targetMs) / Math.max(inferenceMs, 0.01)));
  return { bytes: matMulChainModel({ rows: ROWS, size: SIZE, depth }), feeds: chainFeeds };
}
