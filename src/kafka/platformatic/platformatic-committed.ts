import { setTimeout as delay } from 'node:timers/promises';
import type { Admin } from '@platformatic/kafka';
import { partitionKey, type TopicPartition } from '../../runtime/delivery/ports.js';
import { kafkaErrorIds, sendFailed } from './platformatic-errors.js';

/**
 * A group's committed offsets of `partitions`, read with requireStable: the broker answers once
 * no transaction is about to move them (an open one makes it answer UNSTABLE_OFFSET_COMMIT,
 * retried here). Partitions without a committed offset are absent. Keys are `topic/partition`.
 */
export async function committedOffsets(admin: Admin, groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
  const result = new Map<string, bigint>();
  if (partitions.length === 0) return result;
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const wanted = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)));
  for (let attempt = 0; ; attempt++) {
    try {
      const groups = await admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
        requireStable: true,
      });
      for (const group of groups) {
        for (const topic of group.topics) {
          for (const { partitionIndex, committedOffset } of topic.partitions) {
            const key = partitionKey(topic.name, partitionIndex);
            if (committedOffset >= 0n && wanted.has(key)) result.set(key, committedOffset);
          }
        }
      }
      return result;
    } catch (error) {
      // A pending transaction (its producer may have crashed: the coordinator aborts it after the
      // transaction timeout) or a broker briefly away: wait, up to about two minutes.
      if (attempt < 150 && (kafkaErrorIds(error).has('UNSTABLE_OFFSET_COMMIT') || attempt < 120)) {
        await delay(Math.min(1_000, 100 * 2 ** Math.min(attempt, 4)));
        continue;
      }
      throw sendFailed(`reading the committed offsets of group ${groupId}`, error);
    }
  }
}
