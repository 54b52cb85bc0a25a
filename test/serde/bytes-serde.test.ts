import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { createBytesSerde } from '../../src/serde/bytes-serde.js';

test('buffers pass through untouched both ways', async () => {
  const serde = createBytesSerde();
  await serde.init();
  assert.equal(serde.format, 'bytes');
  const data = Buffer.from([0, 1, 2, 0xff]);
  assert.equal(await serde.deserialize(data), data);
  assert.equal(await serde.serialize(data), data);
  assert.deepEqual(await serde.deserialize(Buffer.alloc(0)), Buffer.alloc(0));
});

test('serialize takes a Uint8Array (without copying) or a string (as UTF-8); null is a tombstone', async () => {
  const serde = createBytesSerde();
  const backing = new Uint8Array([9, 8, 7, 6, 5]);
  const view = backing.subarray(1, 4);
  const fromView = (await serde.serialize(view))!;
  assert.deepEqual([...fromView], [8, 7, 6]);
  backing[2] = 0;
  assert.deepEqual([...fromView], [8, 0, 6], 'shares the memory of the view');
  assert.deepEqual(await serde.serialize('é'), Buffer.from([0xc3, 0xa9]));
  assert.equal(await serde.serialize(null), null);
});

test('anything else is EncodeFailed; a missing value is DecodeFailed', async () => {
  const serde = createBytesSerde();
  for (const [value, what] of [
    [{ a: 1 }, 'an object'],
    [[1, 2], 'an array'],
    [42, 'a number'],
    [undefined, 'undefined'],
  ] as const) {
    await assert.rejects(
      serde.serialize(value),
      (error: unknown) =>
        isKascadeError(error, ErrorCode.EncodeFailed) &&
        error.message === `a bytes topic takes a Buffer, a Uint8Array or a string (written as UTF-8), got ${what}`,
    );
  }
  await assert.rejects(serde.deserialize(null), (error: unknown) => isKascadeError(error, ErrorCode.DecodeFailed) && /tombstone/.test(error.message));
});
