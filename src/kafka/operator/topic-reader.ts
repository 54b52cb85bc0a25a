import { ErrorCode, KascadeError } from '../../errors.js';
import { readCommittedSpans, type PartitionSpan, type SpanReadOptions, type TopicRecord } from '../platformatic/committed-span-reader.js';
import { ClusterAdmin, type KafkaAccess } from '../platformatic/cluster-admin.js';

export type { PartitionSpan, TopicRecord };

/**
 * Reads topics between two points, once, for analysis (`kascade ctr`, replay, dead-letter tools):
 * no offsets are committed and no consumer group is joined. Bounds are resolved to offsets before
 * reading starts: the end defaults to each partition's end offset captured at
 * start, so records produced while reading are not waited for. A timestamp bound gives the offset
 * span from the broker's time index (the first record at or after the time), and within the span
 * records timestamped outside [from, to) are skipped too, since producers' timestamps need not be
 * in offset order. Records are read with explicit fetches (committed-span-reader.ts), read_committed.
 */

/** A point in a partition: a timestamp (the first offset whose record is at or after it) or an offset. */
export type ReadBound = { readonly kind: 'timestamp'; readonly ms: number } | { readonly kind: 'offset'; readonly offset: string };

export interface TopicRange {
  readonly topic: string;
  /** Inclusive start; the partition's first offset when absent. */
  readonly from?: ReadBound | undefined;
  /** Exclusive end; the partition's end offset at start when absent (and never beyond it). */
  readonly to?: ReadBound | undefined;
}

export type ReadTopicsOptions = SpanReadOptions;

export interface ReadSummary {
  readonly spans: readonly PartitionSpan[];
  /** Records handed to onRecord. */
  readonly records: number;
  /** Records in the offset spans but timestamped outside the time bounds. */
  readonly outsideTime: number;
  /** Offsets in all spans (records plus transaction markers and compacted-away gaps). */
  readonly total: number;
  readonly elapsedMs: number;
}

/** Reads one topic; see readTopics. */
export function readTopic(clients: KafkaAccess, range: TopicRange, options: ReadTopicsOptions): Promise<ReadSummary> {
  return readTopics(clients, [range], options);
}

/** Reads several topics side by side with one consumer (records of different topics interleave). */
export async function readTopics(clients: KafkaAccess, ranges: readonly TopicRange[], options: ReadTopicsOptions): Promise<ReadSummary> {
  const started = Date.now();
  const topics = ranges.map((range) => range.topic);
  const repeated = topics.find((topic, index) => topics.indexOf(topic) !== index);
  if (repeated !== undefined) throw new KascadeError(ErrorCode.ConfigInvalid, `topic "${repeated}" is named twice in one read`);

  const spans = await ClusterAdmin.use(clients, (admin) => planSpans(admin, ranges));
  return readSpans(clients, spans, options, started);
}

/** Reads planned spans (see planSpans), e.g. the rest of a resumed replay. */
export async function readSpans(clients: KafkaAccess, spans: readonly PartitionSpan[], options: ReadTopicsOptions, started = Date.now()): Promise<ReadSummary> {
  const total = spans.reduce((sum, span) => sum + Number(BigInt(span.end) - BigInt(span.start)), 0);
  if (total === 0) {
    options.onProgress?.(0, 0);
    return { spans, records: 0, outsideTime: 0, total, elapsedMs: Date.now() - started };
  }
  const toRead = spans.filter((span) => BigInt(span.end) > BigInt(span.start));
  const { records, outsideTime } = await readCommittedSpans(clients.connection, toRead, options);
  return { spans, records, outsideTime, total, elapsedMs: Date.now() - started };
}

/** Resolves every range to per-partition offsets; ConfigInvalid names topics that do not exist. */
export async function planSpans(admin: ClusterAdmin, ranges: readonly TopicRange[]): Promise<PartitionSpan[]> {
  const existing = await admin.topicNames();
  const missing = ranges.map((range) => range.topic).filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    throw new KascadeError(ErrorCode.ConfigInvalid, `${missing.length === 1 ? 'topic' : 'topics'} ${missing.map((topic) => `"${topic}"`).join(', ')} not found`);
  }
  const spans: PartitionSpan[] = [];
  for (const range of ranges) {
    const [lows, highs] = await Promise.all([admin.offsetsOf(range.topic, 'earliest'), admin.offsetsOf(range.topic, 'latest')]);
    const [starts, ends] = await Promise.all([
      resolveBound(admin, range.topic, range.from, lows, highs, 'low'),
      resolveBound(admin, range.topic, range.to, lows, highs, 'high'),
    ]);
    for (const partition of [...highs.keys()].sort((a, b) => a - b)) {
      const start = starts.get(partition) ?? 0n;
      const end = ends.get(partition) ?? start;
      spans.push({
        topic: range.topic,
        partition,
        start: start.toString(),
        end: (end > start ? end : start).toString(),
        ...(range.from?.kind === 'timestamp' ? { fromMs: range.from.ms } : {}),
        ...(range.to?.kind === 'timestamp' ? { toMs: range.to.ms } : {}),
      });
    }
  }
  return spans;
}

/** Per partition, the offset a bound names, clamped into [low, high]; `fallback` says which end an absent bound is. */
async function resolveBound(
  admin: ClusterAdmin,
  topic: string,
  bound: ReadBound | undefined,
  lows: ReadonlyMap<number, bigint>,
  highs: ReadonlyMap<number, bigint>,
  fallback: 'low' | 'high',
): Promise<Map<number, bigint>> {
  const timed = bound?.kind === 'timestamp' ? await admin.offsetsOf(topic, { timestampMs: bound.ms }) : new Map<number, bigint>();
  const resolved = new Map<number, bigint>();
  for (const [partition, high] of highs) {
    const low = lows.get(partition) ?? 0n;
    let offset: bigint;
    if (bound === undefined) offset = fallback === 'low' ? low : high;
    else if (bound.kind === 'offset') offset = BigInt(bound.offset);
    else offset = timed.get(partition) ?? high;
    resolved.set(partition, offset < low ? low : offset > high ? high : offset);
  }
  return resolved;
}
