import type { Admin, Consumer, Kafka } from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import { OwnershipLostError } from '../../runtime/delivery/ownership-lost.js';
import { partitionKey, type OffsetLog, type PartitionOffset, type TopicPartition } from '../../runtime/delivery/ports.js';
import { isKafkaRebalance } from './rebalance-errors.js';

/**
 * The group's offsets through kafkajs: commits with the running consumer, reads with an admin
 * client (kafkajs cannot ask for stable offsets; its exactly-once writer keeps what it committed
 * itself, `writtenUpTo`, which covers its own pending transactions).
 */
export class KafkajsOffsetLog implements OffsetLog {
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly consumer: () => Consumer | undefined,
    private readonly writtenUpTo?: (topic: string, partition: number) => bigint | undefined,
  ) {}

  async commit(offsets: readonly PartitionOffset[]): Promise<void> {
    const consumer = this.consumer();
    if (consumer === undefined) throw new OwnershipLostError('the consumer has left its group', offsets);
    try {
      await consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    } catch (error) {
      if (isKafkaRebalance(error)) throw new OwnershipLostError(`commit refused: ${describe(error)}`, offsets, { cause: error });
      throw new KascadeError(ErrorCode.KafkaSendFailed, `committing offsets failed: ${describe(error)}`, { retriable: true, cause: error });
    }
  }

  async committed(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>> {
    const topics = [...new Set(partitions.map((entry) => entry.topic))];
    try {
      if (this.admin === undefined) {
        this.admin = this.kafka.admin();
        await this.admin.connect();
      }
      const fetched = await this.admin.fetchOffsets({ groupId: this.groupId, topics });
      const found = new Map<string, bigint>();
      for (const { topic, partitions: entries } of fetched) {
        for (const { partition, offset } of entries) {
          const written = this.writtenUpTo?.(topic, partition);
          const committed = BigInt(offset);
          const best = written !== undefined && written > committed ? written : committed;
          if (best >= 0n) found.set(partitionKey(topic, partition), best);
        }
      }
      return found;
    } catch (error) {
      await this.close();
      throw new KascadeError(ErrorCode.KafkaSendFailed, `reading committed offsets failed: ${describe(error)}`, { retriable: true, cause: error });
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
