import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { recordBatchEncoder, type Int64Bits, type RecordBatchInput } from '../../src/kafka/record-batch-encoding.js';
import { encodeRecord, type RecordInput } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);
// This file never loads src/kafka/client.ts: kafkajs's own encoders are in place.
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (input: RecordBatchInput) => Promise<{ buffer: Buffer }> };
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: RecordInput) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): { getHighBits(): number; getLowBits(): number } };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { GZIP: number } };

const bits: Int64Bits = (value) => {
  const long = Long.fromValue(value);
  return { high: long.getHighBits(), low: long.getLowBits() };
};
const encodeBatch = recordBatchEncoder(RecordBatch, bits);

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

test("a record batch is byte for byte kafkajs's, whichever encoder made its records and however its numbers are given", async () => {
  for (const [index, options] of cases.entries()) {
    for (const encoder of [encodeRecord, kafkajsRecord]) {
      const records = inputs().map((input) => encoder(input));
      const ours = (await encodeBatch({ ...options, records })) as { buf: Buffer; buffer: Buffer; size(): number };
      const theirs = await RecordBatch({ ...options, records });
      assert.deepEqual(ours.buffer, theirs.buffer, `case ${String(index)}`);
      assert.equal(ours.size(), ours.buf.length);
    }
  }
});

test('an empty batch and a compressed batch are also as kafkajs writes them (compression is left to kafkajs)', async () => {
  const fixed = { firstTimestamp: 1, maxTimestamp: 1 };
  assert.deepEqual(((await encodeBatch({ ...fixed, records: [] })) as { buffer: Buffer }).buffer, (await RecordBatch({ ...fixed, records: [] })).buffer);
  const records = inputs().map((input) => encodeRecord(input));
  const compressed = { ...fixed, compression: Compression.GZIP, records };
  assert.deepEqual(((await encodeBatch(compressed)) as { buffer: Buffer }).buffer, (await RecordBatch(compressed)).buffer);
});
