import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// Loading the client installs the sized header encoder before kafkajs itself loads.
import '../../src/kafka/client.js';
import { sizedHeaderEncoder } from '../../src/kafka/header-encoding.js';

const require = createRequire(import.meta.url);

interface Encoder {
  writeVarIntString(value: string): Encoder;
  writeVarIntBytes(value: Buffer | string | null): Encoder;
  readonly buffer: Buffer;
}
interface EncoderClass {
  new (initialSize?: number): Encoder;
  sizeOfVarIntBytes(value: Buffer | string | null): number;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
type RecordEncoder = (record: { key: Buffer | null; value: Buffer | null; headers: Record<string, string | Buffer> }) => Encoder;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as RecordEncoder;

/** kafkajs's own header encoding, as its header/v0 module writes it. */
const kafkajsHeader = (key: string, value: Buffer | string | null): Buffer => new Encoder().writeVarIntString(key).writeVarIntBytes(value).buffer;

const HEADERS: [string, Buffer | string | null][] = [
  ['kascade.source.topic', 'orders'],
  ['kascade.request-id', 'r-ü-日本-42'],
  ['empty', ''],
  ['null-value', null],
  ['bytes', Buffer.from([0, 1, 2, 255])],
  ['long', 'x'.repeat(5000)],
];

test('the sized header encoder writes the same bytes as kafkajs, for text, unicode, empty, null, binary and long values', () => {
  const sized = sizedHeaderEncoder(Encoder);
  for (const [key, value] of HEADERS) {
    assert.deepEqual((sized({ key, value }) as Encoder).buffer, kafkajsHeader(key, value), key);
  }
});

test("kafkajs's record encoder uses it once the client is loaded, and records encode as before", () => {
  const headerModule = require.cache[require.resolve('kafkajs/src/protocol/recordBatch/header/v0/index.js')];
  assert.ok(headerModule !== undefined);
  assert.match(String(headerModule.exports), /sizeOfVarIntBytes/, 'the installed header encoder is the sized one');
  const headers = Object.fromEntries(HEADERS.filter(([, value]) => value !== null)) as Record<string, string | Buffer>;
  const record = encodeRecord({ key: Buffer.from('k'), value: Buffer.from('v'), headers }).buffer;
  // The record ends with the header count (zig-zag varint) and the headers, each as kafkajs writes them.
  const entries = Object.entries(headers);
  const expectedTail = Buffer.concat([Buffer.from([entries.length * 2]), ...entries.map(([key, value]) => kafkajsHeader(key, value))]);
  assert.deepEqual(record.subarray(record.length - expectedTail.length), expectedTail);
});
