import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, KascadeError } from '../../../src/errors.js';
import { singleRecordBatchBytes } from '../../../src/kafka/produce/record-size.js';
import { isMessageTooLarge, TopicLimits } from '../../../src/kafka/admin/topic-limits.js';
import type { OutgoingRecord } from '../../../src/runtime/record.js';

function output(topic: string, valueBytes: number): OutgoingRecord {
  return { topic, key: Buffer.from('user-7'), value: Buffer.alloc(valueBytes), headers: [['kascade.stage', 'score']] };
}

test('an output larger than its topic accepts is RecordTooLarge naming the topic, the sizes and the limit; one that fits, or a topic of unknown limit, passes', async () => {
  const limits = new TopicLimits(() => Promise.resolve(new Map([['preds', 4096]])));
  await limits.refresh();
  assert.equal(limits.maxBatchBytes('preds'), 4096);
  assert.equal(limits.maxBatchBytes('elsewhere'), undefined);

  // The largest value that fits makes a batch of exactly the limit; one byte more is refused.
  let largest = 0;
  while (singleRecordBatchBytes(output('preds', largest + 1)) <= 4096) largest++;
  assert.equal(singleRecordBatchBytes(output('preds', largest)), 4096);
  assert.equal(limits.tooLarge(output('preds', largest)), undefined);
  assert.equal(limits.tooLarge(output('preds', largest + 1))?.code, ErrorCode.RecordTooLarge);
  const big = output('preds', 5000);
  const error = limits.tooLarge(big);
  assert.ok(error instanceof KascadeError);
  assert.equal(error.code, ErrorCode.RecordTooLarge);
  assert.equal(error.retriable, false);
  assert.equal(
    error.message,
    `output to topic "preds" takes ${singleRecordBatchBytes(big)} bytes as a record batch (value 5000, key 6, headers 18 bytes), more than the topic's max.message.bytes of 4096`,
  );
  assert.equal(limits.tooLarge(output('elsewhere', 10_000_000)), undefined);
});

test('refresh reads the limits again (after the broker refused a batch: a topic config may have changed)', async () => {
  let limit = 100_000;
  const limits = new TopicLimits(() => Promise.resolve(new Map([['preds', limit]])));
  await limits.refresh();
  assert.equal(limits.tooLarge(output('preds', 50_000)), undefined);
  limit = 10_000;
  await limits.refresh();
  assert.equal(limits.tooLarge(output('preds', 50_000))?.code, ErrorCode.RecordTooLarge);
});

test('a failed read keeps the limits known before (the refusal path must not forget them)', async () => {
  let fail = false;
  const limits = new TopicLimits(() => (fail ? Promise.reject(new Error('TOPIC_AUTHORIZATION_FAILED')) : Promise.resolve(new Map([['preds', 4096]]))));
  await limits.refresh();
  fail = true;
  await assert.rejects(limits.refresh(), /TOPIC_AUTHORIZATION_FAILED/);
  assert.equal(limits.maxBatchBytes('preds'), 4096);
});

test("the broker's MESSAGE_TOO_LARGE is recognised directly and as the cause of kascade's send error; other failures are not", () => {
  const protocolError = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE' });
  assert.ok(isMessageTooLarge(protocolError));
  assert.ok(isMessageTooLarge(new KascadeError(ErrorCode.KafkaSendFailed, 'producing failed', { retriable: true, cause: protocolError })));
  assert.ok(isMessageTooLarge(Object.assign(new Error('x'), { type: 'RECORD_LIST_TOO_LARGE' })));
  assert.ok(!isMessageTooLarge(Object.assign(new Error('x'), { type: 'NOT_LEADER_FOR_PARTITION' })));
  assert.ok(!isMessageTooLarge(new KascadeError(ErrorCode.KafkaSendFailed, 'producing failed', { cause: new Error('ECONNREFUSED') })));
  assert.ok(!isMessageTooLarge('MESSAGE_TOO_LARGE'));
});
