import type { Kafka } from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import { planSpans, type ReadBound } from '../operator/topic-reader.js';

/**
 * Points a fresh consumer group at a place in its input topics before it first runs: the
 * first record at or after a time, or an offset. A group that already has committed offsets
 * is refused, so an experiment never moves the offsets of a group someone runs.
 */
export async function startGroupAt(kafka: Kafka, groupId: string, topics: readonly string[], from: ReadBound): Promise<{ topic: string; partition: number; offset: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const used = committed.flatMap((entry) => entry.partitions.filter((partition) => Number(partition.offset) >= 0).map((partition) => `${entry.topic}[${partition.partition}]`));
    if (used.length > 0) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `consumer group "${groupId}" already has offsets (${used.slice(0, 4).join(', ')}${used.length > 4 ? ', ...' : ''}): a re-run from a point needs a fresh --group`);
    }
    const spans = await planSpans(admin, topics.map((topic) => ({ topic, from })));
    for (const topic of topics) {
      const partitions = spans.filter((span) => span.topic === topic).map((span) => ({ partition: span.partition, offset: span.start }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
    return spans.map((span) => ({ topic: span.topic, partition: span.partition, offset: span.start }));
  } finally {
    await admin.disconnect();
  }
}
