import type { OutgoingRecord } from '../../runtime/record.js';
import { RECORD_BATCH_OVERHEAD, recordSize, recordTailSize } from './record-size.js';

/**
 * Keeps produce requests under the broker's default message.max.bytes (1 MiB per partition
 * batch), with room for the batch framing; one request may hold all its bytes in one partition.
 */
export const MAX_REQUEST_BYTES = 768 * 1024;

/**
 * Room for a record's offset and timestamp deltas beyond the one byte each recordSize counts,
 * and a longer length prefix: an offset delta takes up to 3 more bytes in a request, a timestamp
 * delta (a replayed record's old timestamp) up to 7.
 */
const DELTA_MARGIN = 12;

/** What a record takes in a record batch, at most: its encoded bytes, with room for any place in the batch. */
export function recordBytes(record: OutgoingRecord): number {
  return recordSize(recordTailSize(record)) + DELTA_MARGIN;
}

/** A topic's max.message.bytes when known: no partition's batch in one request may be larger. */
export type TopicLimit = (topic: string) => number | undefined;

/** Estimated bytes of records in all and per topic. */
export interface ByteCount {
  readonly bytes: number;
  readonly byTopic: ReadonlyMap<string, number>;
}

/** A running total of a ByteCount. */
interface ByteTotal {
  bytes: number;
  readonly byTopic: Map<string, number>;
}

/** Records for one produce request, with their estimated bytes. */
export interface RequestPiece extends ByteTotal {
  readonly records: OutgoingRecord[];
}

/**
 * Whether `more` can join `piece` in one request: under `maxBytes` in all, and each topic's
 * records (which may all land in one partition's batch) under the topic's max.message.bytes,
 * else the broker refuses the whole request with MESSAGE_TOO_LARGE.
 */
export function fitsTogether(piece: ByteCount, more: ByteCount, maxBytes: number, topicLimit?: TopicLimit): boolean {
  if (piece.bytes + more.bytes > maxBytes) return false;
  if (topicLimit === undefined) return true;
  for (const [topic, bytes] of more.byTopic) if (!topicHasRoom(piece, topic, bytes, topicLimit)) return false;
  return true;
}

/** Adds `more`'s bytes to `piece`'s (its records are the caller's business). */
export function addBytes(piece: ByteTotal, more: ByteCount): void {
  piece.bytes += more.bytes;
  for (const [topic, bytes] of more.byTopic) piece.byTopic.set(topic, (piece.byTopic.get(topic) ?? 0) + bytes);
}

function topicHasRoom(piece: ByteCount, topic: string, bytes: number, topicLimit: TopicLimit): boolean {
  const limit = topicLimit(topic);
  return limit === undefined || RECORD_BATCH_OVERHEAD + (piece.byTopic.get(topic) ?? 0) + bytes <= limit;
}

/**
 * Consecutive pieces of `records`, each under `maxBytes` and under each topic's limit (a record
 * larger than that alone in its piece), order kept.
 */
export function splitBySize(records: readonly OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES, topicLimit?: TopicLimit): RequestPiece[] {
  const pieces: RequestPiece[] = [];
  let current: RequestPiece = { records: [], bytes: 0, byTopic: new Map() };
  for (const record of records) {
    const bytes = recordBytes(record);
    const full = current.bytes + bytes > maxBytes || (topicLimit !== undefined && !topicHasRoom(current, record.topic, bytes, topicLimit));
    if (current.records.length > 0 && full) {
      pieces.push(current);
      current = { records: [], bytes: 0, byTopic: new Map() };
    }
    current.records.push(record);
    current.bytes += bytes;
    current.byTopic.set(record.topic, (current.byTopic.get(record.topic) ?? 0) + bytes);
  }
  if (current.records.length > 0) pieces.push(current);
  return pieces;
}
