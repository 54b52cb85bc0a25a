import type { Admin, Kafka } from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import { describeConnectFailure } from '../admin/probe.js';
import type { PartitionSpan } from './topic-reader.js';

/** The consumer group whose committed offsets are a redrive's progress through a dead-letter topic. */
export function redriveGroup(deadLetterTopic: string): string {
  return `kascade-dlq-redrive.${deadLetterTopic}`;
}

/** A connected admin client, or BrokerUnreachable naming what it was for. */
export async function connectAdmin(kafka: Kafka, purpose: string): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new KascadeError(ErrorCode.BrokerUnreachable, `cannot reach Kafka to ${purpose}: ${describeConnectFailure(error)}`, {
      retriable: true,
      cause: error,
    });
  }
  return admin;
}

/** Refuses a dead-letter topic that does not exist (asking for its offsets could create it on brokers that auto-create). */
export async function requireTopic(admin: Admin, topic: string, what: string): Promise<void> {
  const topics = new Set(await admin.listTopics());
  if (!topics.has(topic)) throw new KascadeError(ErrorCode.ConfigInvalid, `${what} "${topic}" not found`);
}

/**
 * Per partition, [the group's committed offset, the end offset now): what a redrive with this
 * group has not passed yet, bounded at the end as of now (dead letters written meanwhile wait
 * for the next run). Without a committed offset, or one behind retention, from the first offset.
 */
export async function spansAfterGroup(admin: Admin, topic: string, groupId: string): Promise<PartitionSpan[]> {
  const [offsets, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const positions = new Map((committed[0]?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]));
  return offsets
    .map((entry) => {
      const low = BigInt(entry.low);
      const high = BigInt(entry.high);
      const position = positions.get(entry.partition) ?? -1n;
      const start = position < low ? low : position > high ? high : position;
      return { topic, partition: entry.partition, start: start.toString(), end: high.toString() };
    })
    .sort((a, b) => a.partition - b.partition);
}
