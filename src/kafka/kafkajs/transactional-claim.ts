import type { Producer } from 'kafkajs';

/**
 * Claims a connected transactional producer's id now: kafkajs sends InitProducerId, which
 * fences every older producer with the same id, only at the first transaction, not on connect.
 * Call it before reading progress that an older run of the same id may still be committing.
 */
export async function claimTransactionalId(producer: Producer): Promise<void> {
  await (await producer.transaction()).abort();
}

/**
 * The broker refused a producer because a newer one with the same transactional id replaced it.
 * kafkajs may wrap the protocol error (retries, a failed commit), so causes are followed.
 */
export function isProducerFenced(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const type = 'type' in current ? String(current.type) : '';
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED') return true;
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}
