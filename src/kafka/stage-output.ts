import type { Kafka, Producer } from 'kafkajs';
import type { DeliveryGuarantee } from '../topology/spec.js';
import type { OutgoingRecord, SourceRecord } from '../runtime/record.js';
import { BatchingSink } from './batching-sink.js';
import { createProducer, type KeyPartitioner } from './client.js';
import type { TopicLimit } from './messages.js';
import { TransactionalWriter } from './transactional-writer.js';

/**
 * Where a stage's outputs go, by delivery guarantee: an idempotent producer with batched sends
 * (at-least-once; the stage commits offsets itself), or one transaction per partition chunk that
 * also commits the input offset (exactly-once).
 */
export interface StageOutput {
  /** True when `write` commits the input offset too. */
  readonly commitsOffsets: boolean;
  /** Writes the outputs of input records from offset `from` on; with `commitsOffsets`, commits `commitAt` with them. */
  write(topic: string, partition: number, outgoing: readonly OutgoingRecord[], from: string, commitAt: string): Promise<void>;
  /** The records of a chunk not written yet (a partition kept across a rebalance can come back from below what was written). */
  notYetWritten(chunk: readonly SourceRecord[]): readonly SourceRecord[];
  /** A new assignment: what belongs to partitions no longer owned is let go. */
  retain(owned: ReadonlySet<string>): void;
  close(): Promise<void>;
}

export interface StageOutputOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly delivery: DeliveryGuarantee;
  readonly partitioner?: KeyPartitioner | undefined;
  readonly topicLimit?: TopicLimit | undefined;
}

export async function openStageOutput(options: StageOutputOptions): Promise<StageOutput> {
  const { kafka, partitioner, topicLimit } = options;
  if (options.delivery === 'exactly-once') return transactionalOutput(new TransactionalWriter(kafka, options.groupId, partitioner, topicLimit));
  const connectProducer = async (): Promise<Producer> => {
    const producer = createProducer(kafka, partitioner === undefined ? {} : { partitioner });
    await producer.connect();
    return producer;
  };
  const sink = new BatchingSink(await connectProducer(), topicLimit, async (failed) => {
    await failed.disconnect().catch(() => undefined);
    return connectProducer();
  });
  return {
    commitsOffsets: false,
    write: (_topic, _partition, outgoing) => sink.send(outgoing),
    notYetWritten: (chunk) => chunk,
    retain: () => undefined,
    close: () => sink.close(),
  };
}

function transactionalOutput(writer: TransactionalWriter): StageOutput {
  return {
    commitsOffsets: true,
    write: (topic, partition, outgoing, from, commitAt) => writer.commit(topic, partition, outgoing, from, commitAt),
    notYetWritten: (chunk) => {
      // A transaction still in flight at a rebalance may commit after kafkajs has read the offsets it resumes from.
      const first = chunk[0];
      const writtenUpTo = first === undefined ? undefined : writer.writtenUpTo(first.topic, first.partition);
      if (first === undefined || writtenUpTo === undefined || BigInt(first.offset) >= writtenUpTo) return chunk;
      return chunk.filter((record) => BigInt(record.offset) >= writtenUpTo);
    },
    retain: (owned) => void writer.retain(owned),
    close: () => writer.close(),
  };
}
