import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Transaction } from 'kafkajs';
import { sendOffsetsPatiently } from '../../../src/kafka/kafkajs/transaction-offsets.js';

/** A transaction whose sendOffsets fails with the given error types, in order, then succeeds. */
function refusingTransaction(refusals: readonly string[]): { transaction: Transaction; calls: () => number } {
  let calls = 0;
  const transaction = {
    sendOffsets: () => {
      const type = refusals[calls++];
      return type === undefined ? Promise.resolve() : Promise.reject(Object.assign(new Error(`refused: ${type}`), { type }));
    },
  } as unknown as Transaction;
  return { transaction, calls: () => calls };
}

const offsets = { consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }] };

test('offsets are sent again while the coordinator is completing the previous transaction', async () => {
  const { transaction, calls } = refusingTransaction(['CONCURRENT_TRANSACTIONS', 'CONCURRENT_TRANSACTIONS']);
  await sendOffsetsPatiently(transaction, offsets);
  assert.equal(calls(), 3);
});

test('any other refusal is thrown at once, and CONCURRENT_TRANSACTIONS is not asked forever', async () => {
  const fenced = refusingTransaction(['PRODUCER_FENCED']);
  await assert.rejects(sendOffsetsPatiently(fenced.transaction, offsets), /PRODUCER_FENCED/);
  assert.equal(fenced.calls(), 1);

  const busy = refusingTransaction(Array.from({ length: 20 }, () => 'CONCURRENT_TRANSACTIONS'));
  await assert.rejects(sendOffsetsPatiently(busy.transaction, offsets), /CONCURRENT_TRANSACTIONS/);
  assert.equal(busy.calls(), 8);
});
