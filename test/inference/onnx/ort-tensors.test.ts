import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from 'onnxruntime-node';
import { fromOrtTensor, isCarriedOutputType, toOrtTensor } from '../../../src/inference/onnx/ort-tensors.js';

test('the four kascade dtypes cross without conversion or copy', () => {
  const data = BigInt64Array.from([1n, -2n]);
  const ort = toOrtTensor({ dtype: 'int64', data, dims: [1, 2] });
  assert.equal(ort.type, 'int64');
  assert.equal(ort.data, data);
  const back = fromOrtTensor(ort);
  assert.deepEqual(back, { dtype: 'int64', data, dims: [1, 2] });
  assert.equal(back.data, data);
});

test('boolean and small integer outputs widen to int32, uint32 to int64', () => {
  assert.deepEqual(fromOrtTensor(new Tensor('bool', Uint8Array.from([1, 0, 1]), [3])), { dtype: 'int32', data: Int32Array.from([1, 0, 1]), dims: [3] });
  assert.deepEqual(fromOrtTensor(new Tensor('int8', Int8Array.from([-128, 127]), [2])), { dtype: 'int32', data: Int32Array.from([-128, 127]), dims: [2] });
  assert.deepEqual(fromOrtTensor(new Tensor('uint16', Uint16Array.from([65535]), [1])), { dtype: 'int32', data: Int32Array.from([65535]), dims: [1] });
  assert.deepEqual(fromOrtTensor(new Tensor('uint32', Uint32Array.from([4294967295]), [1])), { dtype: 'int64', data: BigInt64Array.from([4294967295n]), dims: [1] });
});

test('float16 outputs (their bits) become float32 values', () => {
  // 1, -2, 0.5, 65504 (largest half), smallest subnormal, +Infinity, NaN
  const bits = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x7e00]);
  const out = fromOrtTensor(new Tensor('float16', bits, [7]));
  assert.equal(out?.dtype, 'float32');
  assert.ok(out.data instanceof Float32Array);
  assert.deepEqual(Array.from(out.data), [1, -2, 0.5, 65504, Math.fround(2 ** -24), Infinity, NaN]);
});

test('outputs TensorData cannot hold are not carried', () => {
  assert.equal(fromOrtTensor(new Tensor('string', ['a', 'b'], [2])), undefined);
  assert.equal(fromOrtTensor(new Tensor('uint64', BigUint64Array.from([1n]), [1])), undefined);
  for (const type of ['string', 'uint64', 'int4', 'uint4']) assert.equal(isCarriedOutputType(type), false, type);
  for (const type of ['float32', 'float64', 'int32', 'int64', 'bool', 'float16']) assert.equal(isCarriedOutputType(type), true, type);
});
