import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { decodeRecord, HEADER_LIST, type BatchContext, type HeaderEntry, type RecordSource } from '../../src/kafka/record-decoding.js';
import type { RecordInput } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);
// kafkajs's own encoder and decoder: this file never loads src/kafka/client.ts, so they are not replaced here.
const kafkajsEncode = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: RecordInput) => { buffer: Buffer };
const kafkajsDecode = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (decoder: RecordSource, context?: BatchContext) => unknown;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => RecordSource & { readVarIntBytes(): Buffer };

/** A record as the batch decoder hands it over: its bytes after the length prefix, in a fresh decoder. */
function recordSource(input: RecordInput): () => RecordSource {
  const body = new KafkajsDecoder(kafkajsEncode(input).buffer).readVarIntBytes();
  return () => new KafkajsDecoder(body);
}

/**
 * The headers in the order kafkajs's encoder writes them (its object's key order, a repeated
 * name's values in place), as bytes: what the decoded record's ordered list must hold.
 */
function writtenHeaders(headers: RecordInput['headers'] = {}): HeaderEntry[] {
  return Object.entries(headers).flatMap(([name, value]): HeaderEntry[] => {
    if (value === undefined) return [];
    const values = Array.isArray(value) ? (value as readonly (Buffer | string | null)[]) : [value as Buffer | string | null];
    return values.map((item): HeaderEntry => [name, item === null ? null : Buffer.from(item)]);
  });
}

/** kascade's decoded record equals kafkajs's field for field, and carries the headers in order beside them. */
function assertDecodesAsKafkajs(input: RecordInput, batch: BatchContext | undefined, message?: string): void {
  const source = recordSource(input);
  const { [HEADER_LIST]: list, ...decoded } = decodeRecord(source(), batch);
  assert.deepEqual(decoded, kafkajsDecode(source(), batch), message);
  assert.deepEqual(list, writtenHeaders(input.headers), message);
}

function inputs(): RecordInput[] {
  const texts = ['', 'a', 'orders-42', 'r-ü-日本-🙂', 'x'.repeat(300)];
  const cases: RecordInput[] = [
    {},
    { key: null, value: null },
    { key: Buffer.alloc(0), value: Buffer.alloc(0) },
    { offsetDelta: 63, timestampDelta: 64, key: Buffer.from([0, 255, 7]), value: Buffer.from('value') },
    { offsetDelta: 8191, timestampDelta: -1, key: 'k', value: 'v' },
    { offsetDelta: 2 ** 20, timestampDelta: 1_700_000_000_000, key: 'k', value: 'v' },
    { offsetDelta: 5, timestampDelta: -123_456_789, key: 'k', value: 'v' },
    // Deltas of 8 and more varint bytes: beyond what a double holds exactly once zig-zagged.
    { offsetDelta: 1, timestampDelta: 2 ** 60, key: 'k', value: 'v' },
    { offsetDelta: 1, timestampDelta: -(2 ** 55) - 3, key: 'k', value: 'v' },
    { key: 'k', value: 'v', headers: { multi: ['one', Buffer.from('two'), ''], 'kascade.source': 'orders/0/1', empty: '', '': 'unnamed', '7': 'numeric name' } },
  ];
  texts.forEach((text, index) => {
    const headers: Record<string, string | Buffer> = {};
    for (let h = 0; h < 12; h++) headers[`kascade.header-${String(h)}-${text.slice(0, 5)}`] = h % 3 === 0 ? Buffer.from(text) : `${text}${String(h)}`;
    cases.push({ offsetDelta: index * 97, timestampDelta: index * 1013, key: text, value: Buffer.from(text.repeat(2)), headers });
  });
  return cases;
}

const batches: BatchContext[] = [
  { firstOffset: '0', firstTimestamp: '1700000000000', magicByte: 2, timestampType: 0, maxTimestamp: '1700000000999', isControlBatch: false },
  { firstOffset: '123456789012', firstTimestamp: '-1', magicByte: 2, timestampType: 0, maxTimestamp: '-1' },
  // Offsets and timestamps past 2^53, and sums past 2^63 (kafkajs's Long is a BigInt and does not wrap).
  { firstOffset: '9007199254740993', firstTimestamp: '9223372036854775000', magicByte: 2, timestampType: 0, maxTimestamp: '0' },
  { firstOffset: '9223372036854775807', firstTimestamp: '-9223372036854775808', magicByte: 2, timestampType: 0, maxTimestamp: '5' },
  { firstOffset: '42', firstTimestamp: '1700000000000', magicByte: 2, timestampType: 1, maxTimestamp: '1700000004242', isControlBatch: true },
];

test('records decode field for field as kafkajs decodes them: keys, values, nulls, unicode, repeated headers, large deltas, offsets past 2^53, log-append time, control batches', () => {
  for (const [batchIndex, batch] of batches.entries()) {
    for (const [index, input] of inputs().entries()) assertDecodesAsKafkajs(input, batch, `batch ${String(batchIndex)}, record ${String(index)}`);
  }
});

test('records of consecutive batches each add their own batch\'s first offset and timestamp', () => {
  const input: RecordInput = { offsetDelta: 3, timestampDelta: 10, key: 'k', value: 'v' };
  const [first, second] = [batches[0], batches[1]];
  assert.ok(first !== undefined && second !== undefined);
  for (const batch of [first, second, first]) assertDecodesAsKafkajs(input, batch);
});

test('a header named like an Object.prototype member decodes as its value (kafkajs gave [member, value])', () => {
  // A computed key: an own property named __proto__, not a prototype.
  const headers = { constructor: 'c', toString: 's', ['__proto__']: 'p' };
  const source = recordSource({ key: 'k', value: 'v', headers });
  const decoded = decodeRecord(source(), batches[0]);
  assert.deepEqual(Object.keys(decoded.headers).sort(), ['__proto__', 'constructor', 'toString']);
  const own = (name: string): unknown => Object.getOwnPropertyDescriptor(decoded.headers, name)?.value;
  assert.deepEqual(own('constructor'), Buffer.from('c'));
  assert.deepEqual(own('toString'), Buffer.from('s'));
  assert.deepEqual(own('__proto__'), Buffer.from('p'));
  assert.equal(Object.getPrototypeOf(decoded.headers), Object.prototype);
  assert.deepEqual(decoded[HEADER_LIST], writtenHeaders(headers));
});
