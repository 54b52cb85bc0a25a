import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeConfluentFrame, encodeConfluentFrameWith, readConfluentFrame } from '../../src/serde/confluent-wire-format.js';

test('a frame is the magic byte, the schema id big-endian, then the body, whichever way it is written', () => {
  const body = Buffer.from('avro body');
  const frame = encodeConfluentFrame(0x01020304, body);
  assert.deepEqual([...frame.subarray(0, 5)], [0, 1, 2, 3, 4]);
  assert.ok(frame.subarray(5).equals(body));
  const written = encodeConfluentFrameWith(0x01020304, (buffer, offset) => offset + body.copy(buffer, offset));
  assert.ok(written.equals(frame));
  const read = readConfluentFrame(frame);
  assert.equal(read.schemaId, 0x01020304);
  assert.ok(read.body.equals(body));
});

test('a body larger than the scratch space grows it and is framed whole', () => {
  const body = Buffer.alloc(200_000, 7);
  const written = encodeConfluentFrameWith(42, (buffer, offset) => (offset + body.length <= buffer.length ? offset + body.copy(buffer, offset) : buffer.length - offset - body.length));
  assert.ok(written.equals(encodeConfluentFrame(42, body)));
});
