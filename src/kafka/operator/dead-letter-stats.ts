import { DeadLetterStats } from '../../runtime/dead-letters/dead-letter-stats.js';
import { ClusterAdmin, type KafkaAccess } from '../platformatic/cluster-admin.js';
import { requireTopic, spansAfterGroup } from './dead-letter-topic.js';
import { planSpans, readSpans, type PartitionSpan } from './topic-reader.js';

export interface DeadLetterStatsSummary {
  readonly stats: DeadLetterStats;
  readonly spans: readonly PartitionSpan[];
  /** Dead letters past the group's committed offsets: what a redrive with that group would read. */
  readonly pending: number;
  readonly group: string;
  readonly elapsedMs: number;
}

/** Reads a whole dead-letter topic up to its end offsets as of now and counts it; commits nothing. */
export async function readDeadLetterStats(
  access: KafkaAccess,
  topic: string,
  group: string,
  onProgress?: (read: number, total: number) => void,
): Promise<DeadLetterStatsSummary> {
  const started = Date.now();
  const { spans, positions } = await ClusterAdmin.use(access, async (admin) => {
    await requireTopic(admin, topic, 'dead-letter topic');
    const [whole, pending] = await Promise.all([planSpans(admin, [{ topic }]), spansAfterGroup(admin, topic, group)]);
    return { spans: whole, positions: new Map(pending.map((span) => [span.partition, BigInt(span.start)])) };
  });
  const stats = new DeadLetterStats();
  let pending = 0;
  await readSpans(access, spans, {
    clientId: 'kascade-dlq-read',
    ...(onProgress === undefined ? {} : { onProgress }),
    onRecord: (record) => {
      stats.add(record, record.timestamp);
      if (BigInt(record.offset) >= (positions.get(record.partition) ?? 0n)) pending++;
    },
  });
  return { stats, spans, pending, group, elapsedMs: Date.now() - started };
}
