import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { Headers } from '../../runtime/record.js';
import { headersOf } from '../kafkajs/messages.js';

/**
 * Reads topics between two points, once, for analysis (`kascade ctr`): no offsets are committed
 * and no consumer group of a stage is touched.
 *
 * kafkajs has no `assign()`, so the reader joins a throwaway consumer group of its own (a random
 * id, one member, so it gets every partition), never commits, seeks each partition to its start
 * and pauses it once it reached its end; the group is deleted afterwards. Bounds are resolved to
 * offsets before reading starts: the end defaults to each partition's end offset captured at
 * start, so records produced while reading are not waited for. A timestamp bound gives the
 * offset span from the broker's time index (the first record at or after the time), and within
 * the span records timestamped outside [from, to) are skipped too, since producers' timestamps
 * need not be in offset order.
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

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The Kafka timestamp, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In order, repeats and null values kept. */
  readonly headers: Headers;
}

/** The offsets one partition is read between: [start, end), and the timestamps records must have: [fromMs, toMs). */
export interface PartitionSpan {
  readonly topic: string;
  readonly partition: number;
  readonly start: string;
  readonly end: string;
  readonly fromMs?: number;
  readonly toMs?: number;
}

export interface ReadTopicsOptions {
  /** Called for every record in range, in offset order per partition; a returned promise is awaited before the next record. */
  readonly onRecord: (record: TopicRecord) => void | Promise<void>;
  /** Called after every fetched batch: offsets passed so far and offsets to pass in all, over all partitions. */
  readonly onProgress?: (read: number, total: number) => void;
  /** Fails the read when no partition moves for this long (e.g. an open transaction holds a read_committed reader). Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Prefix of the throwaway consumer group's id. */
  readonly groupIdPrefix?: string;
}

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
export function readTopic(kafka: Kafka, range: TopicRange, options: ReadTopicsOptions): Promise<ReadSummary> {
  return readTopics(kafka, [range], options);
}

/** Reads several topics side by side with one consumer (records of different topics interleave). */
export async function readTopics(kafka: Kafka, ranges: readonly TopicRange[], options: ReadTopicsOptions): Promise<ReadSummary> {
  const started = Date.now();
  const topics = ranges.map((range) => range.topic);
  const repeated = topics.find((topic, index) => topics.indexOf(topic) !== index);
  if (repeated !== undefined) throw new KascadeError(ErrorCode.ConfigInvalid, `topic "${repeated}" is named twice in one read`);

  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new KascadeError(ErrorCode.BrokerUnreachable, `cannot reach Kafka to read ${topics.join(', ')}: ${error instanceof Error ? error.message : String(error)}`, {
      retriable: true,
      cause: error,
    });
  }
  let spans: PartitionSpan[];
  try {
    spans = await planSpans(admin, ranges);
  } finally {
    await admin.disconnect();
  }
  return readSpans(kafka, spans, options, started);
}

/** Reads planned spans (see planSpans), e.g. the rest of a resumed replay. */
export async function readSpans(kafka: Kafka, spans: readonly PartitionSpan[], options: ReadTopicsOptions, started = Date.now()): Promise<ReadSummary> {
  const total = spans.reduce((sum, span) => sum + Number(BigInt(span.end) - BigInt(span.start)), 0);
  if (total === 0) {
    options.onProgress?.(0, 0);
    return { spans, records: 0, outsideTime: 0, total, elapsedMs: Date.now() - started };
  }
  const { records, outsideTime } = await consumeSpans(kafka, spans.filter((span) => BigInt(span.end) > BigInt(span.start)), total, options);
  return { spans, records, outsideTime, total, elapsedMs: Date.now() - started };
}

/** Resolves every range to per-partition offsets; ConfigInvalid names topics that do not exist. */
export async function planSpans(admin: Admin, ranges: readonly TopicRange[]): Promise<PartitionSpan[]> {
  const existing = new Set(await admin.listTopics());
  const missing = ranges.map((range) => range.topic).filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    throw new KascadeError(ErrorCode.ConfigInvalid, `${missing.length === 1 ? 'topic' : 'topics'} ${missing.map((topic) => `"${topic}"`).join(', ')} not found`);
  }
  const spans: PartitionSpan[] = [];
  for (const range of ranges) {
    const offsets = await admin.fetchTopicOffsets(range.topic);
    const [starts, ends] = await Promise.all([
      resolveBound(admin, range.topic, range.from, offsets, 'low'),
      resolveBound(admin, range.topic, range.to, offsets, 'high'),
    ]);
    for (const { partition } of [...offsets].sort((a, b) => a.partition - b.partition)) {
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

type PartitionOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/** Per partition, the offset a bound names, clamped into [low, high]; `fallback` says which end an absent bound is. */
async function resolveBound(
  admin: Admin,
  topic: string,
  bound: ReadBound | undefined,
  offsets: PartitionOffsets,
  fallback: 'low' | 'high',
): Promise<Map<number, bigint>> {
  const byTime = bound?.kind === 'timestamp' ? await admin.fetchTopicOffsetsByTimestamp(topic, bound.ms) : [];
  const timed = new Map(byTime.map((entry) => [entry.partition, BigInt(entry.offset)]));
  const resolved = new Map<number, bigint>();
  for (const entry of offsets) {
    const low = BigInt(entry.low);
    const high = BigInt(entry.high);
    let offset: bigint;
    if (bound === undefined) offset = fallback === 'low' ? low : high;
    else if (bound.kind === 'offset') offset = BigInt(bound.offset);
    else offset = timed.get(entry.partition) ?? high;
    resolved.set(entry.partition, offset < low ? low : offset > high ? high : offset);
  }
  return resolved;
}

interface PartitionState {
  readonly span: PartitionSpan;
  readonly start: bigint;
  readonly end: bigint;
  /** The next offset to hand over; everything before it was handed over or skipped. */
  next: bigint;
  paused: boolean;
}

async function consumeSpans(
  kafka: Kafka,
  spans: readonly PartitionSpan[],
  total: number,
  options: ReadTopicsOptions,
): Promise<{ records: number; outsideTime: number }> {
  const states = new Map<string, PartitionState>();
  const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  for (const span of spans) {
    const start = BigInt(span.start);
    states.set(keyOf(span.topic, span.partition), { span, start, end: BigInt(span.end), next: start, paused: false });
  }
  const groupId = `${options.groupIdPrefix ?? 'kascade-reader'}-${randomUUID()}`;
  const consumer: Consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 250,
    maxBytesPerPartition: 2 * 1024 * 1024,
    maxBytes: 10 * 1024 * 1024,
    // A failure ends the read (reported to the caller) instead of restarting the consumer.
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
  });

  let records = 0;
  let outsideTime = 0;
  let lastMove = Date.now();
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // A failure may come before `finished` is awaited: mark it handled here; the await below still sees it.
  finished.catch(() => undefined);
  let failed = false;
  const fail = (error: unknown): void => {
    failed = true;
    settle?.reject(error);
  };

  const progress = (): number => {
    let read = 0;
    for (const state of states.values()) read += Number((state.next < state.end ? state.next : state.end) - state.start);
    return read;
  };
  const pauseDone = (): void => {
    const done = [...states.values()].filter((state) => !state.paused && state.next >= state.end);
    for (const state of done) state.paused = true;
    if (done.length > 0) {
      // pause() throws until run() has created the group; the states stay marked and are re-paused after run.
      try {
        consumer.pause(done.map((state) => ({ topic: state.span.topic, partitions: [state.span.partition] })));
      } catch {
        for (const state of done) state.paused = false;
      }
    }
    if ([...states.values()].every((state) => state.next >= state.end)) settle?.resolve();
  };
  const advance = (topic: string, partition: number, lastOffset: string): void => {
    const state = states.get(keyOf(topic, partition));
    if (state === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > state.next) {
      state.next = next;
      lastMove = Date.now();
    }
  };

  // Batches of transaction markers or aborted records only never reach eachBatch, but still move the position.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    advance(payload.topic, payload.partition, payload.lastOffset);
    options.onProgress?.(progress(), total);
    pauseDone();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));

  const eachBatch = async ({ batch }: EachBatchPayload): Promise<void> => {
    const state = states.get(keyOf(batch.topic, batch.partition));
    if (state === undefined || failed) return;
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      // Skips what an earlier fetch (before the seek applied) already handed over, and what lies past the end.
      if (offset < state.next || offset >= state.end) continue;
      const timestamp = Number(message.timestamp);
      const { fromMs, toMs } = state.span;
      if ((fromMs !== undefined && timestamp < fromMs) || (toMs !== undefined && timestamp >= toMs)) {
        outsideTime++;
        state.next = offset + 1n;
        continue;
      }
      try {
        const handled = options.onRecord({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          timestamp,
          key: message.key ?? null,
          value: message.value,
          headers: headersOf(message),
        });
        if (handled !== undefined) await handled;
      } catch (error) {
        // The caller's failure ends the read as it is, not wrapped in a kafkajs error after its retries.
        fail(error);
        return;
      }
      state.next = offset + 1n;
      lastMove = Date.now();
      records++;
    }
    advance(batch.topic, batch.partition, batch.lastOffset());
  };

  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const watchdog = setInterval(() => {
    if (Date.now() - lastMove < idleTimeoutMs) return;
    const stuck = [...states.values()]
      .filter((state) => state.next < state.end)
      .map((state) => `${state.span.topic}[${state.span.partition}] at ${state.next} of ${state.end}`);
    fail(
      new KascadeError(
        ErrorCode.BrokerUnreachable,
        `no progress for ${Math.round(idleTimeoutMs / 1000)} s reading ${stuck.join(', ')} (broker down, or an open transaction holding back read_committed readers)`,
        { retriable: true },
      ),
    );
  }, Math.min(1000, idleTimeoutMs));

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(spans.map((span) => span.topic))], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch, eachBatchAutoResolve: true });
    for (const state of states.values()) {
      if (state.start > 0n) consumer.seek({ topic: state.span.topic, partition: state.span.partition, offset: state.start.toString() });
    }
    pauseDone();
    await finished;
    options.onProgress?.(progress(), total);
    return { records, outsideTime };
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect().catch(() => undefined);
    await deleteGroup(kafka, groupId);
  }
}

/** Removes the throwaway group (it holds no offsets; this only saves the coordinator the clean-up). */
async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group without offsets expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
