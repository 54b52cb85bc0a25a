import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// Loading the client installs kascade's produce encoders before kafkajs itself loads.
import '../../src/kafka/client.js';
import { groupMessagesPerPartition } from '../../src/kafka/partition-grouping.js';
import { decodeRecord } from '../../src/kafka/record-decoding.js';
import { encodeRecord } from '../../src/kafka/record-encoding.js';
import { frameRequest } from '../../src/kafka/request-framing.js';

const require = createRequire(import.meta.url);

test("once the client is loaded, kafkajs's produce requests use kascade's record, request and grouping code", async () => {
  const recordModule = require.cache[require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')];
  assert.ok(recordModule !== undefined, 'kafkajs loaded its record encoder');
  assert.equal(recordModule.exports, encodeRecord);
  assert.equal(require('kafkajs/src/producer/groupMessagesPerPartition.js'), groupMessagesPerPartition);

  // The produce request in place writes one buffer of the request's exact size.
  const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (input: object) => { encode(): Promise<{ buf: Buffer; size(): number }> };
  const request = await produceRequest({ acks: -1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] }).encode();
  assert.equal(request.buf.length, request.size());
  assert.equal(require('kafkajs/src/protocol/request.js'), frameRequest);
});

test("kafkajs decodes each partition's fetched records on an event-loop turn of its own, to the same records, with kascade's record decoder", async () => {
  assert.equal(require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js'), decodeRecord);
  const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js') as (decoder: unknown) => Promise<{ offset: string; timestamp: string; value: Buffer | null; headers: object }[]>;
  const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { writeInt32(value: number): unknown; writeBuffer(buffer: Buffer): unknown; buffer: Buffer };
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (input: object) => Promise<{ buffer: Buffer }> };
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: object) => unknown;
  const records = [0, 1, 2].map((offsetDelta) => Record({ offsetDelta, timestampDelta: offsetDelta, key: `k${String(offsetDelta)}`, value: `v${String(offsetDelta)}`, headers: { h: 'x', r: ['1', '2'] } }));
  const batch = await RecordBatch({ firstOffset: '40', records, firstTimestamp: 1000, maxTimestamp: 1002, lastOffsetDelta: 2 });
  const section = new Encoder();
  section.writeInt32(batch.buffer.length);
  section.writeBuffer(batch.buffer);
  const order: string[] = [];
  setImmediate(() => order.push('timer turn'));
  const decoding = decodeMessages(new Decoder(section.buffer)).then((decoded) => {
    order.push('decoded');
    return decoded;
  });
  const decoded = await decoding;
  assert.deepEqual(order, ['timer turn', 'decoded'], 'what was waiting for the event loop ran before the decode');
  assert.deepEqual(
    decoded.map((message) => [message.offset, message.timestamp, message.value?.toString(), message.headers]),
    [0, 1, 2].map((delta) => [String(40 + delta), String(1000 + delta), `v${String(delta)}`, { h: Buffer.from('x'), r: [Buffer.from('1'), Buffer.from('2')] }]),
  );
});
