import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REQUEST_BYTES, recordBytes, splitBySize } from '../../../src/kafka/produce/request-size.js';
import { RECORD_BATCH_OVERHEAD } from '../../../src/kafka/produce/record-size.js';
import { headerText, type OutgoingRecord } from '../../../src/runtime/record.js';

function record(topic: string, id: number, valueBytes = 1000): OutgoingRecord {
  return { topic, key: Buffer.from(`k${String(id)}`), value: Buffer.alloc(valueBytes, id % 256), headers: [['id', String(id)]] };
}

const ids = (records: readonly OutgoingRecord[]): string[] => records.map((entry) => String(headerText(entry.headers, 'id')));

test('without topic limits, pieces are cut at the request budget only, in order', () => {
  const records = Array.from({ length: 2000 }, (_, id) => record(id % 2 === 0 ? 'a' : 'b', id));
  const pieces = splitBySize(records);
  assert.ok(pieces.length > 1);
  assert.deepEqual(pieces.flatMap((piece) => ids(piece.records)), ids(records));
  for (const piece of pieces) assert.ok(piece.bytes <= MAX_REQUEST_BYTES);
});

test("each topic's records in a piece stay under the topic's max.message.bytes (one partition's batch may hold them all); other topics fill up to the request budget", () => {
  const limits = new Map([['small', 8192]]);
  const records = Array.from({ length: 300 }, (_, id) => record(id % 3 === 0 ? 'small' : 'big', id));
  const pieces = splitBySize(records, MAX_REQUEST_BYTES, (topic) => limits.get(topic));
  assert.deepEqual(pieces.flatMap((piece) => ids(piece.records)), ids(records), 'every record once, in order');
  for (const piece of pieces) {
    const small = piece.records.filter((entry) => entry.topic === 'small').reduce((sum, entry) => sum + recordBytes(entry), 0);
    assert.ok(RECORD_BATCH_OVERHEAD + small <= 8192, `small topic: ${String(small)} bytes in one piece`);
    assert.equal(piece.byTopic.get('small') ?? 0, small);
  }
  // About 7 records of ~1 KiB fit 8 KiB: 100 records of the small topic need 15 pieces.
  assert.equal(pieces.length, Math.ceil(100 / Math.floor((8192 - RECORD_BATCH_OVERHEAD) / recordBytes(record('small', 0)))));
});

test('a record larger than its topic limit goes alone in its piece (the stage dead-letters such outputs before they get here)', () => {
  const pieces = splitBySize([record('small', 1, 100), record('small', 2, 20_000), record('small', 3, 100)], MAX_REQUEST_BYTES, () => 8192);
  assert.deepEqual(pieces.map((piece) => ids(piece.records)), [['1'], ['2'], ['3']]);
});
