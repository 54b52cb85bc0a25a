import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RECORD_BATCH_OVERHEAD, recordSize, recordTailSize, singleRecordBatchBytes, varintSize } from '../../../src/kafka/produce/record-size.js';
import type { Header, Headers, HeaderValue, OutgoingRecord } from '../../../src/runtime/record.js';

/** A string key is written as its UTF-8 bytes. */
function record(key: Buffer | string | null, value: Buffer | null, headers: Headers = []): OutgoingRecord {
  return { topic: 't', key: typeof key === 'string' ? Buffer.from(key, 'utf8') : key, value, headers };
}

/**
 * A reference Kafka record (v2) written byte by byte as the protocol describes it, to check the
 * estimator's arithmetic against real bytes: zig-zag varints, nullable fields as -1.
 */
function encodeRecord(entry: OutgoingRecord, offsetDelta = 0, timestampDelta = 0): Buffer {
  const varint = (n: number): number[] => {
    let value = n >= 0 ? n * 2 : -n * 2 - 1;
    const bytes: number[] = [];
    while (value >= 128) {
      bytes.push((value % 128) | 128);
      value = Math.floor(value / 128);
    }
    bytes.push(value);
    return bytes;
  };
  const field = (value: HeaderValue): Buffer => {
    if (value === null) return Buffer.from(varint(-1));
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    return Buffer.concat([Buffer.from(varint(bytes.length)), bytes]);
  };
  const body = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(varint(timestampDelta)),
    Buffer.from(varint(offsetDelta)),
    field(entry.key),
    field(entry.value),
    Buffer.from(varint(entry.headers.length)),
    ...entry.headers.flatMap(([name, value]) => [field(name), field(value)]),
  ]);
  return Buffer.concat([Buffer.from(varint(body.length)), body]);
}

const headers: Headers = [
  ['kascade.stage', 'score'],
  ['kascade.source.offset', '12345'],
  ['binary', Buffer.from([0, 255])],
  ['unicode', 'r-ü-日本-🙂'],
  ['nothing', null],
  ['kascade.stage', 'rank'],
  ['ünïcode name', 'x'.repeat(70)],
];

test('a record batch holding one record is the 61-byte batch overhead plus the record as Kafka lays it out, for every size of varint', () => {
  const cases = [
    record(null, null),
    record('', Buffer.alloc(0)),
    record('k', Buffer.from('v')),
    record('r-ü-日本-🙂', Buffer.alloc(63), headers),
    record(Buffer.from([1, 2, 3]), Buffer.alloc(64), headers),
    record('k', Buffer.alloc(8191)),
    record('k', Buffer.alloc(8192), headers),
    record('k'.repeat(200), Buffer.alloc(1_048_576), headers),
  ];
  for (const [index, entry] of cases.entries()) {
    assert.equal(singleRecordBatchBytes(entry), RECORD_BATCH_OVERHEAD + encodeRecord(entry).length, `record ${String(index)}`);
  }
});

test('the estimate equals the encoded size for any key, value, headers and deltas', () => {
  const bytes = fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array));
  const value: fc.Arbitrary<HeaderValue> = fc.oneof(fc.constant(null), bytes, fc.string({ unit: 'grapheme', maxLength: 80 }));
  const header: fc.Arbitrary<Header> = fc.tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), value);
  fc.assert(
    fc.property(
      fc.option(bytes),
      fc.option(bytes),
      fc.array(header, { maxLength: 12 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: -1e12, max: 1e12 }),
      (key, val, list, offsetDelta, timestampDelta) => {
        const entry = record(key, val, list);
        assert.equal(recordSize(recordTailSize(entry), offsetDelta, timestampDelta), encodeRecord(entry, offsetDelta, timestampDelta).length);
      },
    ),
  );
});

test('varints take one more byte every seven bits of the zig-zag value', () => {
  assert.deepEqual([0, -1, 63, -64, 64, 8191, 8192, 2 ** 20, -(2 ** 40)].map(varintSize), [1, 1, 1, 1, 2, 2, 3, 4, 6]);
});

test('the broker boundary measured on Kafka 4.4: a 16312-byte value with no key and no headers makes a 16384-byte batch', () => {
  // Measured against the local broker with max.message.bytes=16384: 16312 bytes accepted, 16313 refused (MESSAGE_TOO_LARGE).
  assert.equal(singleRecordBatchBytes(record(null, Buffer.alloc(16312))), 16384);
  assert.equal(singleRecordBatchBytes(record(null, Buffer.alloc(16313))), 16385);
});
