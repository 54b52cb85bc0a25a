import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { headersFromObject } from '../../src/kafka/kafkajs-headers.js';
import { ENCODED_TAIL, encodeRecord, encodeRecordTail, type RecordInput } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);
// kafkajs's own record encoder: this file never loads src/kafka/client.ts, so it is not replaced here.
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: RecordInput) => { buffer: Buffer };

/** Deterministic variety: keys and values of every kind, unicode, nulls, many and repeated headers, big deltas. */
function records(): RecordInput[] {
  // Around 64 characters (where an ASCII length stops fitting one varint byte), and non-ASCII found only at the end.
  const texts = ['', 'a', 'orders-42', 'r-ü-日本-🙂', 'a'.repeat(63), 'b'.repeat(64), `${'c'.repeat(62)}ü`, `${'d'.repeat(40)}🙂`, 'x'.repeat(300), 'y'.repeat(70_000)];
  const cases: RecordInput[] = [
    {},
    { key: null, value: null },
    { key: Buffer.alloc(0), value: Buffer.alloc(0) },
    { offsetDelta: 0, timestampDelta: 0, key: 'k', value: 'v', headers: {} },
    { offsetDelta: 63, timestampDelta: 64, key: Buffer.from([0, 255, 7]), value: Buffer.from('value') },
    { offsetDelta: 8191, timestampDelta: -1, key: 'k', value: 'v' },
    { offsetDelta: 2 ** 20, timestampDelta: 1_700_000_000_000, key: 'k', value: 'v' },
    { offsetDelta: 5, timestampDelta: -123_456_789, key: 'k', value: 'v' },
    { key: 'k', value: 'v', headers: { multi: ['one', Buffer.from('two'), ''], 'kascade.source.topic': 'orders', empty: '' } },
    // More than 63 headers: the count takes two varint bytes.
    { key: 'k', value: 'v', headers: Object.fromEntries(Array.from({ length: 70 }, (_, index) => [`h${String(index)}`, `value-${String(index)}`])) },
  ];
  texts.forEach((text, index) => {
    const headers: Record<string, string | Buffer> = {};
    for (let h = 0; h < 12; h++) headers[`kascade.header-${String(h)}-${text.slice(0, 5)}`] = h % 3 === 0 ? Buffer.from(text) : `${text}${String(h)}`;
    cases.push({ offsetDelta: index * 97, timestampDelta: index * 1013, key: text, value: Buffer.from(text.repeat(2)), headers });
  });
  return cases;
}

test('records encode byte for byte as kafkajs encodes them: keys, values, nulls, unicode, many, repeated and long headers, large and negative deltas', () => {
  for (const [index, input] of records().entries()) {
    assert.deepEqual(encodeRecord(input).buffer, kafkajsRecord(input).buffer, `record ${String(index)}`);
  }
});

test("an encoded record is what kafkajs's batch encoder reads: `buf` and `buffer` holding exactly the record's bytes", () => {
  const encoded = encodeRecord({ key: 'k', value: 'v', headers: { a: 'b' } });
  assert.ok(Buffer.isBuffer(encoded.buf));
  assert.deepEqual(encoded.buffer, kafkajsRecord({ key: 'k', value: 'v', headers: { a: 'b' } }).buffer);
});

test('an output encoded once (its tail) is written byte for byte as kafkajs writes the same message', () => {
  for (const [index, input] of records().entries()) {
    // Headers as kafkajs's object (a message kascade did not encode) and as the list kascade's outputs hold.
    for (const [form, headers] of [['object', input.headers ?? {}], ['list', headersFromObject(input.headers)]] as const) {
      const tail = encodeRecordTail(input.key, input.value, headers);
      const withTail: RecordInput = { offsetDelta: input.offsetDelta ?? 0, timestampDelta: input.timestampDelta ?? 0, [ENCODED_TAIL]: tail };
      assert.deepEqual(encodeRecord(withTail).buffer, kafkajsRecord(input).buffer, `record ${String(index)}, headers as ${form}`);
    }
  }
});
