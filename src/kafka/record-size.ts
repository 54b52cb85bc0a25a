import type { OutgoingRecord } from '../runtime/record.js';

/**
 * What the broker compares with a topic's max.message.bytes: the size of a whole record batch
 * (v2 format), not of one record. A record that does not fit a batch of its own can never be
 * written; anything smaller fits when batches are split small enough (messages.ts).
 */

/** Bytes of a v2 record batch without its records (base offset, length, epoch, magic, crc, ...). */
export const RECORD_BATCH_OVERHEAD = 61;

/** Kafka's zig-zag varint length of `n` (lengths and deltas are small, so doubles are exact). */
function varintSize(n: number): number {
  let value = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** A varint length prefix and the bytes (-1, one byte, for null). */
function fieldSize(value: Buffer | string | null): number {
  if (value === null) return 1;
  const length = Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
  return varintSize(length) + length;
}

/**
 * Exactly the bytes of an uncompressed record batch holding `record` alone, as the broker sizes
 * it (kascade's producers do not compress). Compared with max.message.bytes before producing.
 */
export function singleRecordBatchBytes(record: OutgoingRecord): number {
  const headers = Object.entries(record.headers);
  // attributes, timestamp delta 0 and offset delta 0 take one byte each.
  let body = 3 + fieldSize(record.key) + fieldSize(record.value) + varintSize(headers.length);
  for (const [name, value] of headers) body += fieldSize(name) + fieldSize(value);
  return RECORD_BATCH_OVERHEAD + varintSize(body) + body;
}
