import { ErrorCode, KascadeError } from '../../errors.js';
import type { ClusterAdmin } from '../platformatic/cluster-admin.js';
import type { PartitionSpan } from './topic-reader.js';

/** The consumer group whose committed offsets are a redrive's progress through a dead-letter topic. */
export function redriveGroup(deadLetterTopic: string): string {
  return `kascade-dlq-redrive.${deadLetterTopic}`;
}

/** Refuses a topic that does not exist (asking for its offsets could create it on brokers that auto-create). */
export async function requireTopic(admin: ClusterAdmin, topic: string, what: string): Promise<void> {
  if (!(await admin.topicNames()).has(topic)) throw new KascadeError(ErrorCode.ConfigInvalid, `${what} "${topic}" not found`);
}

/**
 * Per partition, [the group's committed offset, the end offset now): what a redrive with this
 * group has not passed yet, bounded at the end as of now (dead letters written meanwhile wait
 * for the next run). Without a committed offset, or one behind retention, from the first offset.
 */
export async function spansAfterGroup(admin: ClusterAdmin, topic: string, groupId: string): Promise<PartitionSpan[]> {
  const [lows, highs, committed] = await Promise.all([admin.offsetsOf(topic, 'earliest'), admin.offsetsOf(topic, 'latest'), admin.groupOffsets(groupId, [topic])]);
  const positions = committed.get(topic);
  return [...highs]
    .map(([partition, high]) => {
      const low = lows.get(partition) ?? 0n;
      const position = positions?.get(partition)?.offset ?? -1n;
      const start = position < low ? low : position > high ? high : position;
      return { topic, partition, start: start.toString(), end: high.toString() };
    })
    .sort((a, b) => a.partition - b.partition);
}
