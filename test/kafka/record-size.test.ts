import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { RECORD_BATCH_OVERHEAD, singleRecordBatchBytes } from '../../src/kafka/record-size.js';
import { headersToObject } from '../../src/kafka/kafkajs-headers.js';
import type { RecordInput } from '../../src/kafka/record-encoding.js';
import type { Headers, OutgoingRecord } from '../../src/runtime/record.js';

const require = createRequire(import.meta.url);
// kafkajs's own record encoder (this file never loads src/kafka/client.ts, so it is not replaced).
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: RecordInput) => { buffer: Buffer };

/** A string key is written as its UTF-8 bytes. */
function record(key: Buffer | string | null, value: Buffer | null, headers: Headers = []): OutgoingRecord {
  return { topic: 't', key: typeof key === 'string' ? Buffer.from(key, 'utf8') : key, value, headers };
}

test('a record batch holding one record is the 61-byte batch overhead plus the record as kafkajs encodes it, for every size of varint', () => {
  const headers: Headers = [
    ['kascade.stage', 'score'],
    ['kascade.source.offset', '12345'],
    ['binary', Buffer.from([0, 255])],
    ['unicode', 'r-ü-日本-🙂'],
    ['kascade.stage', 'rank'],
  ];
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
    const encoded = kafkajsRecord({ key: entry.key, value: entry.value, headers: headersToObject(entry.headers), offsetDelta: 0, timestampDelta: 0 }).buffer;
    assert.equal(singleRecordBatchBytes(entry), RECORD_BATCH_OVERHEAD + encoded.length, `record ${String(index)}`);
  }
});

test('the broker boundary measured on Kafka 4.4: a 16312-byte value with no key and no headers makes a 16384-byte batch', () => {
  // Measured against the local broker with max.message.bytes=16384: 16312 bytes accepted, 16313 refused (MESSAGE_TOO_LARGE).
  assert.equal(singleRecordBatchBytes(record(null, Buffer.alloc(16312))), 16384);
  assert.equal(singleRecordBatchBytes(record(null, Buffer.alloc(16313))), 16385);
});
