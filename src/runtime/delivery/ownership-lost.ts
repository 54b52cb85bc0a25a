import type { TopicPartition } from './ports.js';

/**
 * This member may no longer write or commit for some partitions: a rebalance moved on without
 * it, or a newer producer fenced its transactions. Not a failure of the stage: the engine drops
 * the work of those partitions and the group hands them out again from the committed offsets.
 */
export class OwnershipLostError extends Error {
  override readonly name = 'OwnershipLostError';

  constructor(
    message: string,
    /** The partitions concerned; every partition of the work when the client cannot say. */
    readonly partitions?: readonly TopicPartition[],
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isOwnershipLost(error: unknown): error is OwnershipLostError {
  return error instanceof OwnershipLostError;
}
