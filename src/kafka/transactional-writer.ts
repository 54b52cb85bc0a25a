import type { Admin, Kafka, Producer } from 'kafkajs';
import { ErrorCode, KascadeError } from '../errors.js';
import type { OutgoingRecord } from '../runtime/record.js';
import { createProducer, type KeyPartitioner } from './client.js';
import { MAX_REQUEST_BYTES, splitBySize, toTopicMessages, type TopicLimit } from './messages.js';
import { sendOffsetsPatiently } from './transaction-offsets.js';

/**
 * Exactly-once writes: the outputs of an input partition's records and that partition's next
 * offset go into one Kafka transaction. kafkajs lacks KIP-447 (consumer-group fencing), so each
 * input partition gets its own transactional producer with a transactional id derived from the
 * group and the partition: whoever processes that partition next, in this process or another,
 * initialises the same id and thereby fences (aborts) whatever a zombie left open.
 */
export class TransactionalWriter {
  private readonly producers = new Map<string, Promise<Producer>>();
  /** The group's committed offset per partition as of this writer's last transaction. */
  private readonly committed = new Map<string, bigint>();
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

  /** Writes `records` and commits `nextOffset` for the partition atomically. Throws a retriable error when it did not happen. */
  async commit(topic: string, partition: number, records: readonly OutgoingRecord[], nextOffset: string): Promise<void> {
    const key = partitionKey(topic, partition);
    const before = this.committed.get(key) ?? (await this.committedOffset(topic, partition).catch(() => -1n));
    const producer = await this.producerFor(topic, partition);
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

  /** Closes the producers of partitions this member no longer owns (after a rebalance). */
  async retain(owned: ReadonlySet<string>): Promise<void> {
    // Another member may have committed meanwhile: learn the offsets afresh.
    this.committed.clear();
    const released = [...this.producers.keys()].filter((key) => !owned.has(key));
    await Promise.all(released.map((key) => this.discardKey(key)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.keys()].map((key) => this.discardKey(key)));
    await this.admin?.disconnect();
    this.admin = undefined;
  }

  private producerFor(topic: string, partition: number): Promise<Producer> {
    const key = partitionKey(topic, partition);
    let producer = this.producers.get(key);
    if (producer === undefined) {
      const created = createProducer(this.kafka, {
        transactionalId: TransactionalWriter.transactionalId(this.groupId, topic, partition),
        ...(this.partitioner === undefined ? {} : { partitioner: this.partitioner }),
      });
      producer = created.connect().then(() => created);
      producer.catch(() => this.producers.delete(key));
      this.producers.set(key, producer);
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

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
