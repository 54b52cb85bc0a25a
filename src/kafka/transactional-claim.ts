import type { Producer } from 'kafkajs';

/**
 * Claims a connected transactional producer's id now: kafkajs sends InitProducerId, which
 * fences every older producer with the same id, only at the first transaction, not on connect.
 * Call it before reading progress that an older run of the same id may still be committing.
 */
export async function claimTransactionalId(producer: Producer): Promise<void> {
  await (await producer.transaction()).abort();
}
