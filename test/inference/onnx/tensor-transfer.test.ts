import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareTransfer } from '../../../src/inference/onnx/tensor-transfer.js';

test('an array spanning its whole buffer is moved as it is', () => {
  const data = Float32Array.from([1, 2, 3]);
  const { tensors, transfer } = prepareTransfer({ x: { dtype: 'float32', data, dims: [3] } });
  assert.equal(tensors.x!.data, data);
  assert.deepEqual(transfer, [data.buffer]);
});

test('a window on a larger buffer is copied (just the window), so the larger buffer is never detached', () => {
  const backing = new Float64Array(100).map((_, i) => i);
  const window = backing.subarray(10, 13);
  const { tensors, transfer } = prepareTransfer({ x: { dtype: 'float64', data: window, dims: [3] } });
  const sent = tensors.x!.data;
  assert.notEqual(sent.buffer, backing.buffer);
  assert.ok(sent instanceof Float64Array);
  assert.deepEqual(Array.from(sent), [10, 11, 12]);
  assert.equal(sent.buffer.byteLength, 3 * 8);
  assert.deepEqual(transfer, [sent.buffer]);
});

test('two tensors on one buffer list it once; shared memory is shared, not moved', () => {
  const buffer = new ArrayBuffer(16);
  const a = new Int32Array(buffer);
  const shared = new BigInt64Array(new SharedArrayBuffer(16));
  const { tensors, transfer } = prepareTransfer({
    a: { dtype: 'int32', data: a, dims: [4] },
    b: { dtype: 'int32', data: a, dims: [2, 2] },
    c: { dtype: 'int64', data: shared, dims: [2] },
  });
  assert.deepEqual(transfer, [buffer]);
  assert.equal(tensors.c!.data, shared);
});

test('a tensor whose buffer was already moved is refused by name (postMessage would drop it silently)', () => {
  const data = Float32Array.from([1, 2]);
  structuredClone(data.buffer, { transfer: [data.buffer] });
  assert.throws(() => prepareTransfer({ features: { dtype: 'float32', data, dims: [2] } }), /tensor features: its buffer was already moved/);
  // An empty tensor is not a detached one.
  assert.doesNotThrow(() => prepareTransfer({ empty: { dtype: 'float32', data: new Float32Array(0), dims: [0, 3] } }));
});
