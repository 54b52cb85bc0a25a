import { ErrorCode, isKascadeError, KascadeError } from '../../errors.js';
import type { OutgoingRecord } from '../record.js';
import { isOwnershipLost, OwnershipLostError } from './ownership-lost.js';
import { partitionKey, type GroupMember, type OutputTransaction, type PartitionOffset, type TopicPartition, type TransactionalSink } from './ports.js';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  /** False once the chunk's partition was given up (revoked, lost) after it was read. */
  isCurrent(): boolean;
  readonly partition: TopicPartition;
}

interface OpenTransaction {
  readonly transaction: Promise<OutputTransaction>;
  /** The records sent so far, in the order the chunks wrote them. */
  sends: Promise<void>;
  readonly offsets: Map<string, PartitionOffset>;
  readonly waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
}

export interface TransactionGroupOptions {
  readonly sink: TransactionalSink;
  /** The member whose generation the offsets are committed under; undefined when out of the group. */
  readonly member: () => GroupMember | undefined;
  /** Chunks being processed now: once all of them wait for the transaction, it commits without lingering. */
  readonly busy: () => number;
  /** The longest a written chunk waits for others to join its transaction. */
  readonly lingerMs: number;
}

/**
 * Exactly-once writes through one transactional producer for the whole stage instance: the
 * chunks of every partition written meanwhile share a transaction (group commit), which carries
 * their records and their input offsets (KIP-447: checked against the member's generation).
 * A chunk's write resolves once its transaction committed; when it aborts, every chunk in it
 * fails and is processed again (retriable), or stops when ownership was lost.
 */
export class TransactionGroup {
  private current: OpenTransaction | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(private readonly options: TransactionGroupOptions) {}

  /**
   * Adds a chunk's records and its partition's next offset to the open transaction. `isCurrent`
   * says whether the partition is still owned as when the chunk was read: the broker checks only
   * the generation, so a chunk of a partition given up meanwhile must not ride on the commit.
   */
  write(records: readonly OutgoingRecord[], offset: PartitionOffset, isCurrent: () => boolean): Promise<void> {
    const open = (this.current ??= this.open());
    if (records.length > 0) {
      const previous = open.sends;
      open.sends = previous.then(async () => (await open.transaction).send(records));
      // Failures surface at commit; the chain must not be an unhandled rejection meanwhile.
      open.sends.catch(() => undefined);
    }
    open.offsets.set(partitionKey(offset.topic, offset.partition), offset);
    const done = new Promise<void>((resolve, reject) => open.waiters.push({ resolve, reject, isCurrent, partition: offset }));
    if (open.waiters.length >= this.options.busy()) this.commit(open);
    else open.timer ??= setTimeout(() => this.commit(open), this.options.lingerMs);
    return done;
  }

  /** Commits the open transaction now (draining, revoking) and waits for every commit begun. */
  async flush(): Promise<void> {
    if (this.current !== undefined) this.commit(this.current);
    await this.committing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.options.sink.close();
  }

  private open(): OpenTransaction {
    // One transaction at a time: the next one begins once the previous has committed or aborted.
    const transaction = this.committing.then(() => this.options.sink.begin());
    transaction.catch(() => undefined);
    return { transaction, sends: transaction.then(() => undefined), offsets: new Map(), waiters: [], timer: undefined };
  }

  private commit(open: OpenTransaction): void {
    if (this.current !== open) return;
    this.current = undefined;
    clearTimeout(open.timer);
    this.committing = this.finish(open);
  }

  private async finish(open: OpenTransaction): Promise<void> {
    let transaction: OutputTransaction | undefined;
    try {
      transaction = await open.transaction;
      await open.sends;
      const member = this.options.member();
      if (member === undefined) throw new OwnershipLostError('this member is not in its consumer group: its offsets cannot be committed');
      const stale = open.waiters.filter((waiter) => !waiter.isCurrent());
      if (stale.length > 0) throw new StaleChunks(stale.map((waiter) => waiter.partition));
      await transaction.commit([...open.offsets.values()], member);
      for (const waiter of open.waiters) waiter.resolve();
    } catch (error) {
      await transaction?.abort().catch(() => undefined);
      const failure = asTransactionFailure(error);
      for (const waiter of open.waiters) {
        // The chunks of partitions still owned are written again in the next transaction.
        if (!(error instanceof StaleChunks)) waiter.reject(failure);
        else if (waiter.isCurrent()) waiter.reject(new KascadeError(ErrorCode.KafkaSendFailed, error.message, { retriable: true }));
        else waiter.reject(new OwnershipLostError(error.message, [waiter.partition]));
      }
    }
  }
}

/**
 * Exactly-once writes for a client without KIP-447 (kafkajs): one transaction per chunk of one
 * input partition, which the adapter runs on that partition's own transactional producer.
 */
export async function writePartitionTransaction(
  sink: TransactionalSink,
  member: GroupMember | undefined,
  records: readonly OutgoingRecord[],
  from: string,
  offset: PartitionOffset,
): Promise<void> {
  if (member === undefined) throw new OwnershipLostError('this member is not in its consumer group: its offsets cannot be committed', [offset]);
  let transaction: OutputTransaction | undefined;
  try {
    transaction = await sink.begin({ topic: offset.topic, partition: offset.partition, from });
    if (records.length > 0) await transaction.send(records);
    await transaction.commit([offset], member);
  } catch (error) {
    await transaction?.abort().catch(() => undefined);
    throw asTransactionFailure(error);
  }
}

/** A transaction held chunks of partitions given up since they were read: it is aborted, not committed. */
class StaleChunks extends Error {
  constructor(partitions: readonly TopicPartition[]) {
    super(`transaction aborted: ${partitions.map(({ topic, partition }) => `${topic}/${partition}`).join(', ')} moved to another member while in it`);
  }
}

function asTransactionFailure(error: unknown): unknown {
  if (isOwnershipLost(error) || isKascadeError(error)) return error;
  return new KascadeError(ErrorCode.KafkaSendFailed, `transaction failed: ${error instanceof Error ? error.message : String(error)}`, { retriable: true, cause: error });
}
