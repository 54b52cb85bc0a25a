import type { Offsets, Transaction } from 'kafkajs';

const ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 800;

/**
 * `transaction.sendOffsets`, asked again while the coordinator answers CONCURRENT_TRANSACTIONS.
 * The coordinator gives that answer while the previous transaction of the same id is still being
 * completed, typically just after a commit when transactions follow each other quickly. kafkajs
 * retries it for InitProducerId and for sends, but not for AddOffsetsToTxn. Nothing was added to
 * the transaction when it is refused, so asking again within the same transaction is safe.
 */
export async function sendOffsetsPatiently(transaction: Transaction, offsets: Offsets & { consumerGroupId: string }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await transaction.sendOffsets(offsets);
      return;
    } catch (error) {
      if (!isConcurrentTransactions(error) || attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1))));
    }
  }
}

function isConcurrentTransactions(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'type' in error && error.type === 'CONCURRENT_TRANSACTIONS';
}
