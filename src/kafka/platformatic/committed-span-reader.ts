import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ClusterMetadata, fetchV17 } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { Headers } from '../../runtime/record.js';
import { isControlBatch, lastOffsetOf } from './committed-batches.js';
import { ReadCommittedConsumer } from './read-committed-consumer.js';
import { platformaticBaseOptions, READ_COMMITTED } from './platformatic-connection.js';
import { unreadableBatchError } from './platformatic-errors.js';
import { headerList } from './platformatic-records.js';

/** The offsets one partition is read between: [start, end), and the timestamps records must have: [fromMs, toMs). */
export interface PartitionSpan {
  readonly topic: string;
  readonly partition: number;
  readonly start: string;
  readonly end: string;
  readonly fromMs?: number;
  readonly toMs?: number;
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

export interface SpanReadOptions {
  /** Called for every record in range, in offset order per partition; a returned promise is awaited before the next record. */
  readonly onRecord: (record: TopicRecord) => void | Promise<void>;
  /** Called after every fetch round: offsets passed so far and offsets to pass in all, over all spans. */
  readonly onProgress?: (read: number, total: number) => void;
  /** Fails the read when no partition moves for this long (e.g. an open transaction holds a read_committed reader). Default 60 s. */
  readonly idleTimeoutMs?: number;
  readonly clientId?: string;
}

const MAX_WAIT_MS = 250;
/** Between a failed fetch round and the next. */
const RETRY_MS = 500;
const BYTES_PER_PARTITION = 2 * 1024 * 1024;
const MAX_BYTES = 10 * 1024 * 1024;

interface SpanState {
  readonly span: PartitionSpan;
  readonly start: bigint;
  readonly end: bigint;
  /** The next offset to hand over; everything before it was handed over or skipped. */
  next: bigint;
}

/**
 * Reads partition spans once, read_committed, with explicit fetches: no consumer group, nothing
 * committed. The consumer is a ReadCommittedConsumer, so no record of an aborted transaction
 * comes through, even where the library's own filter would let it.
 */
export async function readCommittedSpans(
  connection: ConnectionSettings,
  spans: readonly PartitionSpan[],
  options: SpanReadOptions,
): Promise<{ records: number; outsideTime: number }> {
  const clientId = options.clientId ?? 'kascade-reader';
  // Never joined: fetches name their partitions and offsets. The library requires a group id.
  const consumer = new ReadCommittedConsumer({ ...platformaticBaseOptions(connection, { clientId }), groupId: `${clientId}-${randomUUID()}`, autocommit: false });
  const reader = new SpanReader(consumer, spans, options);
  try {
    return await reader.read();
  } finally {
    await consumer.close().catch(() => undefined);
  }
}

class SpanReader {
  readonly #states: SpanState[];
  readonly #total: number;
  #records = 0;
  #outsideTime = 0;
  #lastMove = Date.now();

  constructor(
    private readonly consumer: ReadCommittedConsumer,
    spans: readonly PartitionSpan[],
    private readonly options: SpanReadOptions,
  ) {
    this.#states = spans.map((span) => ({ span, start: BigInt(span.start), end: BigInt(span.end), next: BigInt(span.start) }));
    this.#total = this.#states.reduce((sum, state) => sum + Number(state.end - state.start), 0);
  }

  async read(): Promise<{ records: number; outsideTime: number }> {
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 60_000;
    for (;;) {
      const open = this.#states.filter((state) => state.next < state.end);
      if (open.length === 0) return { records: this.#records, outsideTime: this.#outsideTime };
      if (Date.now() - this.#lastMove >= idleTimeoutMs) throw stuck(open, idleTimeoutMs);
      let metadata: ClusterMetadata;
      let responses: { response: fetchV17.FetchResponse; group: SpanState[] }[];
      try {
        metadata = await this.consumer.metadata({ topics: [...new Set(open.map((state) => state.span.topic))] });
        responses = await Promise.all(
          [...byLeader(open, metadata)].map(async ([node, group]) => ({
            response: await this.consumer.fetch({ node, topics: fetchRequest(group, metadata), maxWaitTime: MAX_WAIT_MS, maxBytes: MAX_BYTES, isolationLevel: READ_COMMITTED }),
            group,
          })),
        );
      } catch (error) {
        const unreadable = unreadableBatchError(open.map(where).join(', '), error);
        if (unreadable !== undefined) throw unreadable;
        // A leader that moved, a broker briefly away: asked again with fresh metadata until the read idles too long.
        if (Date.now() - this.#lastMove + RETRY_MS < idleTimeoutMs) {
          this.consumer.clearMetadata();
          await delay(RETRY_MS);
          continue;
        }
        throw new KascadeError(ErrorCode.BrokerUnreachable, `reading ${open.map(where).join(', ')} failed: ${error instanceof Error ? error.message : String(error)}`, {
          retriable: true,
          cause: error,
        });
      }
      const topicsById = new Map([...metadata.topics].map(([name, topic]) => [topic.id, name]));
      for (const { response, group } of responses) await this.#handOver(response, group, topicsById);
      this.options.onProgress?.(this.#progress(), this.#total);
    }
  }

  /** Hands the response's committed records to onRecord and moves each partition's position past what it held. */
  async #handOver(response: fetchV17.FetchResponse, group: readonly SpanState[], topicsById: ReadonlyMap<string, string>): Promise<void> {
    for (const topicResponse of response.responses) {
      const topic = topicsById.get(topicResponse.topicId);
      for (const partition of topicResponse.partitions) {
        const state = group.find((candidate) => candidate.span.topic === topic && candidate.span.partition === partition.partitionIndex);
        const batches = partition.records ?? [];
        const last = batches[batches.length - 1];
        if (state === undefined || last === undefined) continue;
        for (const batch of batches) {
          if (isControlBatch(batch)) continue;
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            // A batch may begin before the fetch offset, and run past the span's end.
            if (offset < state.next || offset >= state.end) continue;
            state.next = offset + 1n;
            const timestamp = Number(batch.firstTimestamp + record.timestampDelta);
            const { fromMs, toMs } = state.span;
            if ((fromMs !== undefined && timestamp < fromMs) || (toMs !== undefined && timestamp >= toMs)) {
              this.#outsideTime++;
              continue;
            }
            const handled = this.options.onRecord({ topic: state.span.topic, partition: state.span.partition, offset: offset.toString(), timestamp, key: record.key, value: record.value, headers: headerList(record) });
            if (handled !== undefined) await handled;
            this.#records++;
          }
        }
        // Transaction markers and aborted batches move the position too.
        const after = lastOffsetOf(last) + 1n;
        if (after > state.next) state.next = after;
        this.#lastMove = Date.now();
      }
    }
  }

  #progress(): number {
    return this.#states.reduce((sum, state) => sum + Number((state.next < state.end ? state.next : state.end) - state.start), 0);
  }
}

function byLeader(states: readonly SpanState[], metadata: ClusterMetadata): Map<number, SpanState[]> {
  const groups = new Map<number, SpanState[]>();
  for (const state of states) {
    const leader = metadata.topics.get(state.span.topic)?.partitions[state.span.partition]?.leader;
    if (leader === undefined || leader < 0) continue; // no leader now: the next round asks again
    groups.set(leader, [...(groups.get(leader) ?? []), state]);
  }
  return groups;
}

function fetchRequest(group: readonly SpanState[], metadata: ClusterMetadata): fetchV17.FetchRequestTopic[] {
  return group.map((state) => ({
    // byLeader kept only partitions the metadata names.
    topicId: metadata.topics.get(state.span.topic)?.id ?? '',
    partitions: [{ partition: state.span.partition, fetchOffset: state.next, partitionMaxBytes: BYTES_PER_PARTITION, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
  }));
}

function where(state: SpanState): string {
  return `${state.span.topic}[${state.span.partition}] at ${state.next} of ${state.end}`;
}

function stuck(open: readonly SpanState[], idleTimeoutMs: number): KascadeError {
  return new KascadeError(
    ErrorCode.BrokerUnreachable,
    `no progress for ${Math.round(idleTimeoutMs / 1000)} s reading ${open.map(where).join(', ')} (broker down, or an open transaction holding back read_committed readers)`,
    { retriable: true },
  );
}
