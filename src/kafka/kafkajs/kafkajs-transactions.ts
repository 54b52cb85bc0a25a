import type { Kafka } from 'kafkajs';
import { OwnershipLostError } from '../../runtime/delivery/ownership-lost.js';
import type { ChunkScope, OutputTransaction, PartitionOffset, TransactionalSink } from '../../runtime/delivery/ports.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import type { KeyPartitioner } from './client.js';
import type { TopicLimit } from '../produce/request-size.js';
import { PartitionTakenError, TransactionalWriter } from './transactional-writer.js';

export interface KafkajsTransactionsOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly partitioner?: KeyPartitioner | undefined;
  readonly topicLimit?: TopicLimit | undefined;
  /** Closed with the producers (the offset log's admin client). */
  readonly alsoClose?: () => Promise<void>;
}

/**
 * Exactly-once on kafkajs, which lacks KIP-447: one transactional producer per input partition
 * (TransactionalWriter), so each transaction holds one partition's chunk. Records are collected
 * and written at commit, where the writer knows which producer they belong to.
 */
export class KafkajsTransactions implements TransactionalSink {
  readonly scope = 'partition';
  readonly writer: TransactionalWriter;

  constructor(private readonly options: KafkajsTransactionsOptions) {
    this.writer = new TransactionalWriter(options.kafka, options.groupId, options.partitioner, options.topicLimit);
  }

  begin(chunk?: ChunkScope): Promise<OutputTransaction> {
    if (chunk === undefined) return Promise.reject(new Error('kafkajs transactions are per input partition: begin needs the chunk'));
    const writer = this.writer;
    const records: OutgoingRecord[] = [];
    const transaction: OutputTransaction = {
      send: (more) => {
        records.push(...more);
        return Promise.resolve();
      },
      commit: async (offsets: readonly PartitionOffset[]) => {
        const offset = offsets.find((entry) => entry.topic === chunk.topic && entry.partition === chunk.partition);
        if (offset === undefined) throw new Error(`a kafkajs transaction commits the offset of ${chunk.topic}/${chunk.partition} only`);
        try {
          await writer.commit(chunk.topic, chunk.partition, records, chunk.from, offset.offset);
        } catch (error) {
          if (error instanceof PartitionTakenError) throw new OwnershipLostError(error.message, [chunk], { cause: error });
          throw error;
        }
      },
      // The writer aborts a failed transaction itself; one never begun has nothing to abort.
      abort: () => Promise.resolve(),
    };
    return Promise.resolve(transaction);
  }

  /** A new assignment: producers of partitions no longer owned are closed. */
  retain(owned: ReadonlySet<string>): Promise<void> {
    return this.writer.retain(owned);
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.options.alsoClose?.();
  }
}
