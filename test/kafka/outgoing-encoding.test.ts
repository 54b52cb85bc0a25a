import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodedTail } from '../../src/kafka/outgoing-encoding.js';
import { encodeRecordTail } from '../../src/kafka/record-encoding.js';
import type { OutgoingRecord } from '../../src/runtime/record.js';

test('an output is encoded once: the second call hands back the same bytes', () => {
  const record: OutgoingRecord = { topic: 'scores', key: Buffer.from('user-7'), value: Buffer.from('{"p":0.25}'), headers: [['kascade.stage', 'score']] };
  const first = encodedTail(record);
  assert.deepEqual(first, encodeRecordTail(record.key, record.value, record.headers));
  assert.equal(encodedTail(record), first);
});

test('a copy made by spreading a sized output is encoded for its own fields, not with the original bytes', () => {
  const record: OutgoingRecord = { topic: 'scores', key: Buffer.from('user-7'), value: Buffer.from('{"p":0.25}'), headers: [['kascade.stage', 'score']] };
  const original = encodedTail(record);
  const copy: OutgoingRecord = { ...record, headers: [['kascade.stage', 'rank']] };
  const copied = encodedTail(copy);
  assert.notDeepEqual(copied, original);
  assert.deepEqual(copied, encodeRecordTail(copy.key, copy.value, copy.headers));
  assert.equal(encodedTail(record), original);
});
