import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAvroType } from '../../src/serde/avro-type.js';

/** Float32 values of every kind: rounding, signed zero, infinities, NaN, subnormal and extreme magnitudes. */
const SPECIAL = [0.1, -0, 0, 1, -1.5, Infinity, -Infinity, NaN, 1e-40, 3.4028234663852886e38, -1.1754943508222875e-38, 123456.789];

function randomFloats(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 10 ** ((state % 20) - 10);
  });
}

const fround = (values: readonly number[]): number[] => values.map(Math.fround);

test('arrays of floats decode to the float32 values written, at any offset and any length', () => {
  // The odd-length string before the floats puts them at unaligned offsets.
  const type = createAvroType({
    type: 'record',
    name: 'Request',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'features', type: { type: 'array', items: 'float' } },
      { name: 'doubles', type: { type: 'array', items: 'double' } },
      { name: 'counts', type: { type: 'array', items: 'int' } },
    ],
  });
  for (const [index, features] of [[], SPECIAL, randomFloats(32, 7), randomFloats(1000, 11)].entries()) {
    const value = { id: 'x'.repeat(index * 2 + 1), features, doubles: [0.1, -2.5], counts: [1, -2, 3] };
    const decoded = type.fromBuffer(type.toBuffer(value)) as typeof value;
    assert.deepEqual(decoded.features, fround(features));
    assert.deepEqual(decoded.doubles, [0.1, -2.5]);
    assert.deepEqual(decoded.counts, [1, -2, 3]);
  }
});

test('several blocks, one with a negative count and its byte size, decode as one array', () => {
  const type = createAvroType({ type: 'array', items: 'float' });
  const floats = (values: readonly number[]): Buffer => {
    const buffer = Buffer.alloc(values.length * 4);
    values.forEach((entry, index) => buffer.writeFloatLE(entry, index * 4));
    return buffer;
  };
  // Zig-zag varints: count 2 -> 4; count -3 -> 5, then its size 12 bytes -> 24; end of array -> 0.
  const body = Buffer.concat([Buffer.from([4]), floats([1.5, -2]), Buffer.from([5, 24]), floats([0.25, 8, -0.5]), Buffer.from([0])]);
  assert.deepEqual(type.fromBuffer(body), [1.5, -2, 0.25, 8, -0.5]);
});

test('a truncated array of floats is still refused as avsc refuses it', () => {
  const type = createAvroType({ type: 'array', items: 'float' });
  const whole = type.toBuffer([1, 2, 3]);
  assert.throws(() => type.fromBuffer(whole.subarray(0, whole.length - 3)), /truncated/);
});

test('a projection of records written with more fields reads the floats, and ints written where floats are read are promoted', () => {
  const writer = createAvroType({
    type: 'record',
    name: 'Request',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'features', type: { type: 'array', items: 'float' } },
      { name: 'counts', type: { type: 'array', items: 'int' } },
    ],
  });
  const reader = createAvroType({
    type: 'record',
    name: 'Request',
    fields: [
      { name: 'features', type: { type: 'array', items: 'float' } },
      { name: 'counts', type: { type: 'array', items: 'float' } },
    ],
  });
  const features = randomFloats(32, 3);
  const body = writer.toBuffer({ id: 'abc', features, counts: [7, -8] });
  const decoded = reader.fromBuffer(body, reader.createResolver(writer)) as { features: number[]; counts: number[] };
  assert.deepEqual(decoded.features, fround(features));
  assert.deepEqual(decoded.counts, [7, -8]);
});

test('the values are those avsc reads item by item', () => {
  // avsc decodes each float with readFloatLE; the block's floats end just before the terminating 0.
  const type = createAvroType({ type: 'array', items: 'float' });
  const values = [...SPECIAL, ...randomFloats(64, 5)];
  const encoded = type.toBuffer(values);
  const first = encoded.length - 1 - values.length * 4;
  const itemByItem = values.map((_, index) => encoded.readFloatLE(first + index * 4));
  assert.deepEqual(type.fromBuffer(encoded), itemByItem);
});
