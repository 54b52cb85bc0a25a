import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { produceRequestEncoder, type ProduceMessage, type ProduceRequestInput } from '../../src/kafka/produce-request-encoding.js';
import type { Int64Bits } from '../../src/kafka/record-batch-encoding.js';
import { ENCODED_TAIL, encodeRecordTail } from '../../src/kafka/record-encoding.js';
import { frameRequest, type RequestFrameInput } from '../../src/kafka/request-framing.js';

const require = createRequire(import.meta.url);
// This file never loads src/kafka/client.ts: kafkajs's own encoders are in place.
const kafkajsProduceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (input: ProduceRequestInput) => {
  encode(): Promise<{ buffer: Buffer }>;
  readonly [other: string]: unknown;
};
const kafkajsFrame = require('kafkajs/src/protocol/request.js') as (input: RequestFrameInput) => Promise<{ buffer: Buffer }>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): { getHighBits(): number; getLowBits(): number } };
const bits: Int64Bits = (value) => {
  const long = Long.fromValue(value);
  return { high: long.getHighBits(), low: long.getLowBits() };
};
const encodeRequest = produceRequestEncoder(kafkajsProduceRequest, bits);

function messages(count: number, withTimestamps: boolean, withTails: boolean): ProduceMessage[] {
  return Array.from({ length: count }, (_, index) => {
    const key = `user-${String(index % 11)}`;
    const value = Buffer.from(`payload ${'z'.repeat(index % 40)}`);
    const headers = { 'kascade.stage': 'score', 'kascade.source.offset': String(index), 'kascade.request-id': `r-ü-${String(index)}` };
    return {
      key,
      value,
      headers,
      ...(withTimestamps ? { timestamp: String(1_700_000_000_000 + ((index * 37) % 500)) } : {}),
      ...(withTails ? { [ENCODED_TAIL]: encodeRecordTail(key, value, headers) } : {}),
    };
  });
}

function inputs(): ProduceRequestInput[] {
  return [
    {
      acks: -1,
      timeout: 30_000,
      topicData: [{ topic: 'scores', partitions: [{ partition: 0, messages: messages(5, true, true) }] }],
    },
    {
      acks: -1,
      timeout: 30_000,
      transactionalId: 'stage.in.3',
      producerId: Long.fromValue(77),
      producerEpoch: 4,
      topicData: [
        { topic: 'scores', partitions: [{ partition: 2, firstSequence: 900, messages: messages(300, true, true) }, { partition: 0, firstSequence: 12, messages: messages(40, true, false) }] },
        { topic: 'ünïcode.dlq', partitions: [{ partition: 1, firstSequence: 0, messages: messages(3, true, true) }] },
      ],
    },
  ];
}

test("a produce request is byte for byte kafkajs's, records written from kascade's encoded tails or from the messages", async () => {
  for (const [index, input] of inputs().entries()) {
    const ours = (await encodeRequest(input).encode()) as { buffer: Buffer; size(): number };
    const theirs = await kafkajsProduceRequest(input).encode();
    assert.deepEqual(ours.buffer, theirs.buffer, `request ${String(index)}`);
    assert.equal(ours.size(), ours.buffer.length);
  }
});

test('records without timestamps take the time of encoding, as in kafkajs: same length and layout', async () => {
  const input: ProduceRequestInput = { acks: 1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: messages(20, false, true) }] }] };
  const ours = (await encodeRequest(input).encode()) as { buffer: Buffer };
  const theirs = await kafkajsProduceRequest(input).encode();
  assert.equal(ours.buffer.length, theirs.buffer.length);
});

test("the request object keeps what kafkajs gives it (api key, version, whether a response comes); compressed requests are kafkajs's own", async () => {
  const input: ProduceRequestInput = { acks: 0, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: messages(2, true, true) }] }] };
  const ours = encodeRequest(input);
  const theirs = kafkajsProduceRequest(input);
  assert.equal(ours.apiKey, theirs.apiKey);
  assert.equal(ours.apiVersion, 3);
  assert.equal((ours.expectResponse as () => boolean)(), false);
  const compressed = { ...input, compression: 1 };
  assert.deepEqual(((await encodeRequest(compressed).encode()) as { buffer: Buffer }).buffer, (await kafkajsProduceRequest(compressed).encode()).buffer);
});

test("a framed request is kafkajs's framing: size, api key and version, correlation id, client id (or none), body", async () => {
  const body = Buffer.from(Array.from({ length: 3000 }, (_, index) => index & 0xff));
  for (const clientId of ['kascade-stage-ü', null]) {
    const frame: RequestFrameInput = { correlationId: 4242, clientId, request: { apiKey: 0, apiVersion: 7, encode: () => Promise.resolve({ buf: body, buffer: body }) } };
    assert.deepEqual((await frameRequest(frame)).buffer, (await kafkajsFrame(frame)).buffer);
  }
});
