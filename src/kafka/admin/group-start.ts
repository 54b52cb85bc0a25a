import { ErrorCode, KascadeError } from '../../errors.js';
import { planSpans, type ReadBound } from '../operator/topic-reader.js';
import { ClusterAdmin, type KafkaAccess } from '../platformatic/cluster-admin.js';

/**
 * Points a fresh consumer group at a place in its input topics before it first runs: the
 * first record at or after a time, or an offset. A group that already has committed offsets
 * is refused, so an experiment never moves the offsets of a group someone runs.
 */
export function startGroupAt(access: KafkaAccess, groupId: string, topics: readonly string[], from: ReadBound): Promise<{ topic: string; partition: number; offset: string }[]> {
  return ClusterAdmin.use(access, async (admin) => {
    const committed = await admin.groupOffsets(groupId, topics);
    const used = [...committed].flatMap(([topic, partitions]) => [...partitions.keys()].map((partition) => `${topic}[${partition}]`));
    if (used.length > 0) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `consumer group "${groupId}" already has offsets (${used.slice(0, 4).join(', ')}${used.length > 4 ? ', ...' : ''}): a re-run from a point needs a fresh --group`);
    }
    const spans = await planSpans(admin, topics.map((topic) => ({ topic, from })));
    await admin.setGroupOffsets(groupId, spans.map((span) => ({ topic: span.topic, partition: span.partition, offset: BigInt(span.start) })));
    return spans.map((span) => ({ topic: span.topic, partition: span.partition, offset: span.start }));
  });
}
