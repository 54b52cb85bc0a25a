import type { OutgoingRecord } from '../runtime/record.js';
import { encodedTail } from './outgoing-encoding.js';
import { recordSize } from './record-encoding.js';

/**
 * What the broker compares with a topic's max.message.bytes: the size of a whole record batch
 * (v2 format), not of one record. A record that does not fit a batch of its own can never be
 * written; anything smaller fits when batches are split small enough (messages.ts).
 */

/** Bytes of a v2 record batch without its records (base offset, length, epoch, magic, crc, ...). */
export const RECORD_BATCH_OVERHEAD = 61;

/**
 * Exactly the bytes of an uncompressed record batch holding `record` alone, as the broker sizes
 * it (kascade's producers do not compress). Compared with max.message.bytes before producing.
 */
export function singleRecordBatchBytes(record: OutgoingRecord): number {
  return RECORD_BATCH_OVERHEAD + recordSize(encodedTail(record).length);
}
