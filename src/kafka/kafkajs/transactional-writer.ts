import kafkajs, { type Admin, type Kafka, type Producer } from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import { createProducer, type KeyPartitioner } from './client.js';
import { toTopicMessages } from './messages.js';
import { MAX_REQUEST_BYTES, splitBySize, type TopicLimit } from '../produce/request-size.js';
import { sendOffsetsPatiently } from './transaction-offsets.js';
import { claimTransactionalId, isProducerFenced } from './transactional-claim.js';

/**
 * Exactly-once writes: the outputs of an input partition's records and that partition's next
 * offset go into one Kafka transaction. kafkajs lacks KIP-447 (consumer-group fencing), so each
 * input partition gets its own transactional producer with a transactional id derived from the
 * group and the partition: whoever processes that partition next, in this process or another,
 * initialises the same id and thereby fences (aborts) whatever a zombie left open.
 *
 * Fencing alone does not stop a zombie that claims the id again: a frozen member that wakes
 * after its successor took over would fence the successor and commit what it read before. So a
 * writer checks the group's committed offset each time it claims an id (`ownership`), and a
 * fenced producer is never replaced within the same assignment: both end in
 * `PartitionTakenError`, on which kafkajs joins the group again and reads the committed offsets.
 */
export class TransactionalWriter {
  private readonly producers = new Map<string, Promise<Producer>>();
  /**
   * The group's committed offset per partition as of this writer's claim or last transaction. It
   * stays true while the partition's producer is not fenced (anyone else committing would fence
   * it first), so it is kept across rebalances for partitions this member keeps.
   */
  private readonly committed = new Map<string, bigint>();
  /** Partitions another member wrote since this writer last read them: nothing more goes out for them until the next assignment. */
  private readonly taken = new Set<string>();
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly partitioner?: KeyPartitioner,
    /** Each topic's max.message.bytes: requests are split so the broker accepts every partition batch. */
    private readonly topicLimit?: TopicLimit,
  ) {}

  static transactionalId(groupId: string, topic: string, partition: number): string {
    return `${groupId}.${topic}.${partition}`;
  }

  /**
   * Writes `records`, the outputs of input records from offset `from` on, and commits
   * `nextOffset` for the partition atomically. Throws `PartitionTakenError` when another member
   * has written the partition since, and a retriable error when the write did not happen.
   */
  async commit(topic: string, partition: number, records: readonly OutgoingRecord[], from: string, nextOffset: string): Promise<void> {
    const key = partitionKey(topic, partition);
    if (this.taken.has(key)) throw new PartitionTakenError(topic, partition, 'it was taken over earlier in this assignment');
    const producer = await this.claimedProducer(topic, partition, from);
    const before = this.committed.get(key) ?? -1n;
    const transaction = await producer.transaction();
    try {
      for (const piece of splitBySize(records, MAX_REQUEST_BYTES, this.topicLimit)) await transaction.sendBatch({ topicMessages: toTopicMessages(piece.records) });
      await sendOffsetsPatiently(transaction, { consumerGroupId: this.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
      await transaction.commit();
      this.committed.set(key, BigInt(nextOffset));
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // After any failure the producer's state is unknown: never reuse it.
      await this.discard(topic, partition);
      if (isProducerFenced(error)) {
        // Someone initialised this id since: the partition is theirs. Claiming it back would
        // fence them, and our records may be what they have written already. (The coordinator
        // also bumps the epoch of a transaction it expired; re-reading the offsets suits that too.)
        this.markTaken(key);
        throw new PartitionTakenError(topic, partition, 'a newer producer fenced this one');
      }
      // A commit can fail on the way back after it succeeded; the committed offset tells, when
      // this transaction moved it (a stage holding records back may commit the same offset again).
      const after = await this.committedOffset(topic, partition).catch(() => -1n);
      if (BigInt(nextOffset) > before && after >= BigInt(nextOffset)) {
        this.committed.set(key, after);
        return;
      }
      throw new KascadeError(ErrorCode.KafkaSendFailed, `transaction for ${topic}/${partition} failed: ${error instanceof Error ? error.message : String(error)}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  /**
   * The partition's committed offset as this writer last knew it (its own last transaction, or
   * what it read when it claimed the partition): records before it are written. Undefined before
   * the claim, and once the partition was found taken over or released.
   */
  writtenUpTo(topic: string, partition: number): bigint | undefined {
    return this.committed.get(partitionKey(topic, partition));
  }

  /** A new assignment: partitions taken over may be tried again; producers of partitions no longer owned are closed. */
  async retain(owned: ReadonlySet<string>): Promise<void> {
    this.taken.clear();
    const released = [...new Set([...this.producers.keys(), ...this.committed.keys()])].filter((key) => !owned.has(key));
    for (const key of released) this.committed.delete(key);
    await Promise.all(released.map((key) => this.discardKey(key)));
  }

  /** Nothing more is written for the partition until the next assignment, which starts from the group's offsets. */
  private markTaken(key: string): void {
    this.taken.add(key);
    this.committed.delete(key);
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.keys()].map((key) => this.discardKey(key)));
    await this.admin?.disconnect();
    this.admin = undefined;
  }

  /**
   * This partition's producer. A new one claims the transactional id (fencing older ones and
   * finishing their open transaction) and then reads the committed offset: when someone else
   * committed since this writer last did, or past `from` when it has not yet, what this writer
   * holds is stale.
   */
  private async claimedProducer(topic: string, partition: number, from: string): Promise<Producer> {
    const key = partitionKey(topic, partition);
    const existing = this.producers.get(key);
    if (existing !== undefined) return existing;
    const claiming = this.claim(topic, partition);
    this.producers.set(key, claiming);
    try {
      const producer = await claiming;
      const committed = await this.committedOffset(topic, partition);
      if (ownership({ committed, lastCommitted: this.committed.get(key), from: BigInt(from) }) === 'taken') {
        this.markTaken(key);
        throw new PartitionTakenError(topic, partition, `its committed offset is ${committed}, and this member's records start at ${from}`);
      }
      this.committed.set(key, committed);
      return producer;
    } catch (error) {
      await this.discardKey(key);
      if (error instanceof PartitionTakenError) throw error;
      throw new KascadeError(ErrorCode.KafkaSendFailed, `could not claim the transactional id of ${topic}/${partition}: ${error instanceof Error ? error.message : String(error)}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  private async claim(topic: string, partition: number): Promise<Producer> {
    const producer = createProducer(this.kafka, {
      transactionalId: TransactionalWriter.transactionalId(this.groupId, topic, partition),
      ...(this.partitioner === undefined ? {} : { partitioner: this.partitioner }),
    });
    await producer.connect();
    try {
      await claimTransactionalId(producer);
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    return producer;
  }

  private discard(topic: string, partition: number): Promise<void> {
    return this.discardKey(partitionKey(topic, partition));
  }

  private async discardKey(key: string): Promise<void> {
    const producer = this.producers.get(key);
    this.producers.delete(key);
    await producer?.then((instance) => instance.disconnect()).catch(() => undefined);
  }

  private async committedOffset(topic: string, partition: number): Promise<bigint> {
    if (this.admin === undefined) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const offsets = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    const found = offsets[0]?.partitions.find((entry) => entry.partition === partition);
    return found === undefined ? -1n : BigInt(found.offset);
  }
}

/**
 * Whether a writer that just claimed a partition's transactional id still owns what it read.
 * `committed` is the group's offset read after the claim; `lastCommitted` what this writer
 * committed last in this assignment, if anything; `from` the first offset of the records it is
 * about to write. Control records leave gaps, so a committed offset below `from` is no sign of loss.
 */
export function ownership(state: { committed: bigint; lastCommitted: bigint | undefined; from: bigint }): 'owned' | 'taken' {
  if (state.lastCommitted !== undefined) return state.committed === state.lastCommitted ? 'owned' : 'taken';
  return state.committed > state.from ? 'taken' : 'owned';
}

/**
 * Another member has written this partition since this one read it. It is a kafkajs error (so
 * kafkajs does not log it as a handler's bug) of kafkajs's rebalance type: thrown from a batch
 * handler, kafkajs joins the group again and resumes every assigned partition from its
 * committed offset.
 */
export class PartitionTakenError extends kafkajs.KafkaJSError {
  readonly type = 'REBALANCE_IN_PROGRESS';
  override readonly name = 'PartitionTakenError';

  constructor(
    readonly topic: string,
    readonly partition: number,
    reason: string,
  ) {
    super(`${topic}/${partition} is another member's now (${reason}): joining the group again`, { retriable: false });
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
