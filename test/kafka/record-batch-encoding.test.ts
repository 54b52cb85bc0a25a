import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { recordBatchSize, writeRecordBatch, type Int64Bits, type RecordBatchInput } from '../../src/kafka/record-batch-encoding.js';
import { encodeRecord, type KafkaRecord, type RecordInput } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);
// This file never loads src/kafka/client.ts: kafkajs's own encoders are in place.
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (input: RecordBatchInput & { records: readonly unknown[] }) => Promise<{ buffer: Buffer }>;
};
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): { getHighBits(): number; getLowBits(): number } };

const bits: Int64Bits = (value) => {
  const long = Long.fromValue(value);
  return { high: long.getHighBits(), low: long.getLowBits() };
};

/** kascade's batch of `records`, in a buffer of its own. */
function encodeBatch(input: RecordBatchInput, records: readonly KafkaRecord[]): Buffer {
  const buffer = Buffer.alloc(recordBatchSize(records));
  assert.equal(writeRecordBatch(buffer, 0, input, records, bits), buffer.length);
  return buffer;
}

function inputs(): RecordInput[] {
  return Array.from({ length: 300 }, (_, index) => ({
    offsetDelta: index,
    timestampDelta: index * 3,
    key: `user-${String(index % 17)}`,
    value: Buffer.from(`value ${'x'.repeat(index % 50)}`),
    headers: { 'kascade.stage': 'score', 'kascade.source.offset': String(index) },
  }));
}

const cases: readonly RecordBatchInput[] = [
  { firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_897, lastOffsetDelta: 299 },
  { firstTimestamp: '1700000000000', maxTimestamp: '1700000000999', producerId: Long.fromValue(4242), producerEpoch: 3, firstSequence: 1200, transactional: true, lastOffsetDelta: 299 },
  { firstTimestamp: 5, maxTimestamp: 9, producerId: '9007199254740993', producerEpoch: 32_000, firstSequence: 2 ** 31 - 1, partitionLeaderEpoch: 7, lastOffsetDelta: 299 },
];

test("a record batch is byte for byte kafkajs's, however its numbers are given", async () => {
  for (const [index, options] of cases.entries()) {
    const records = inputs().map((input) => encodeRecord(input));
    assert.deepEqual(encodeBatch(options, records), (await RecordBatch({ ...options, records })).buffer, `case ${String(index)}`);
  }
});

test('an empty batch is also as kafkajs writes it', async () => {
  const fixed = { firstTimestamp: 1, maxTimestamp: 1 };
  assert.deepEqual(encodeBatch(fixed, []), (await RecordBatch({ ...fixed, records: [] })).buffer);
});
