import type { HeaderValue, OutgoingRecord } from '../../runtime/record.js';

/**
 * The size of an outgoing record as Kafka's record format (v2, the only one brokers take from
 * current clients) lays it out, computed from the record's fields without encoding it and
 * without any client's types: produce requests are split by it under the broker's limits
 * (messages.ts), and a record too large for its topic's max.message.bytes is refused before
 * producing (topic-limits.ts), whichever Kafka client writes the bytes.
 *
 * Record (v2): length (varint), attributes (1 byte), timestamp delta (varlong), offset delta
 * (varint), key and value (varint length, -1 for null, then the bytes), header count (varint),
 * then each header: name (varint length, UTF-8) and value (varint length, -1 for null, bytes).
 * Strings are written as UTF-8. A client that drops null header values (the kafkajs adapter,
 * docs/records.md) writes a byte less per such header: the estimate stays an upper bound.
 */

/** Bytes of a v2 record batch without its records (base offset, length, epoch, magic, crc, ...). */
export const RECORD_BATCH_OVERHEAD = 61;

/** Zig-zag encoding, as Kafka's varints use it; exact for |n| < 2^52 (lengths, deltas). */
const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

/** Bytes of `n` as a zig-zag varint. */
export function varintSize(n: number): number {
  let value = zigzag(n);
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** UTF-8 bytes of a string; a loop for short ASCII text (header names and values), cheaper than a call into C++. */
function utf8Bytes(text: string): number {
  const length = text.length;
  if (length < 64) {
    let index = 0;
    while (index < length && text.charCodeAt(index) < 128) index++;
    if (index === length) return length;
  }
  return Buffer.byteLength(text, 'utf8');
}

/** Bytes of a nullable bytes field: its varint length and its bytes, or the one byte of -1 for null. */
function fieldSize(value: HeaderValue): number {
  if (value === null) return 1;
  const bytes = typeof value === 'string' ? utf8Bytes(value) : value.length;
  return varintSize(bytes) + bytes;
}

/** Bytes of the part of a record that does not depend on its place in a batch: key, value, header count and headers. */
export function recordTailSize(record: Pick<OutgoingRecord, 'key' | 'value' | 'headers'>): number {
  let size = fieldSize(record.key) + fieldSize(record.value) + varintSize(record.headers.length);
  for (const [name, value] of record.headers) {
    const nameBytes = utf8Bytes(name);
    size += varintSize(nameBytes) + nameBytes + fieldSize(value);
  }
  return size;
}

/** Bytes of a whole record whose tail takes `tailSize` bytes, with the given deltas (its length prefix included). */
export function recordSize(tailSize: number, offsetDelta = 0, timestampDelta = 0): number {
  const body = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + tailSize;
  return varintSize(body) + body;
}

/**
 * Exactly the bytes of an uncompressed record batch holding `record` alone, as the broker sizes
 * it (kascade's producers do not compress). What the broker compares with max.message.bytes is
 * the size of a whole record batch, not of one record: a record that does not fit a batch of its
 * own can never be written; anything smaller fits when batches are split small enough.
 */
export function singleRecordBatchBytes(record: OutgoingRecord): number {
  return RECORD_BATCH_OVERHEAD + recordSize(recordTailSize(record));
}
