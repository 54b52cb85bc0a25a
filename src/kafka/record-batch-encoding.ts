import { crc32c } from './crc32c.js';
import type { KafkaRecord } from './record-encoding.js';
import { RECORD_BATCH_OVERHEAD } from './record-size.js';

/**
 * kafkajs builds a record batch through three growing encoders: every batch is zero-filled and
 * copied at each doubling of each, then copied whole twice more, and its checksum is computed a
 * byte at a time. kascade's produce request (produce-request-encoding.ts) writes the same bytes
 * (v2 format, uncompressed) in place, since each record's length is known up front.
 * test/kafka/record-batch-encoding.test.ts compares the bytes with kafkajs's RecordBatch.
 */

/** A 64-bit integer as kafkajs hands it over (its Long, a number or a decimal string). */
export type Int64Input = unknown;

/** The fields of a record batch besides its records, named as kafkajs's RecordBatch names them. */
export interface RecordBatchInput {
  readonly firstOffset?: Int64Input;
  readonly firstTimestamp?: Int64Input;
  readonly maxTimestamp?: Int64Input;
  readonly partitionLeaderEpoch?: number;
  readonly lastOffsetDelta?: number;
  readonly transactional?: boolean;
  readonly producerId?: Int64Input;
  readonly producerEpoch?: number;
  readonly firstSequence?: number;
}

/** Splits a 64-bit integer into its high and low 32 bits (kafkajs's Long.fromValue does the parsing). */
export type Int64Bits = (value: Int64Input) => { readonly high: number; readonly low: number };

const MAGIC_BYTE = 2;
const TRANSACTIONAL_FLAG = 16;
/** Where the batch length is: after the base offset. */
const LENGTH_AT = 8;
/** Bytes before the CRC-covered part: base offset, batch length, leader epoch, magic, CRC. */
const CRC_START = 8 + 4 + 4 + 1 + 4;

/** Bytes of a record batch of `records` (uncompressed). */
export function recordBatchSize(records: readonly KafkaRecord[]): number {
  let size = RECORD_BATCH_OVERHEAD;
  for (const record of records) size += record.size;
  return size;
}

/** Writes the batch of `records` at `start` of `target` (room for recordBatchSize bytes); returns the offset after it. */
export function writeRecordBatch(target: Buffer, start: number, input: RecordBatchInput, records: readonly KafkaRecord[], bits: Int64Bits): number {
  const now = Date.now();
  let offset = writeInt64(target, start, bits(input.firstOffset ?? 0));
  offset += 4; // the batch length, written once the records are
  offset = target.writeInt32BE(input.partitionLeaderEpoch ?? 0, offset);
  offset = target.writeInt8(MAGIC_BYTE, offset);
  offset += 4; // the CRC, written last
  offset = target.writeInt16BE(input.transactional === true ? TRANSACTIONAL_FLAG : 0, offset);
  offset = target.writeInt32BE(input.lastOffsetDelta ?? 0, offset);
  offset = writeInt64(target, offset, bits(input.firstTimestamp ?? now));
  offset = writeInt64(target, offset, bits(input.maxTimestamp ?? now));
  offset = writeInt64(target, offset, bits(input.producerId ?? -1));
  offset = target.writeInt16BE(input.producerEpoch ?? 0, offset);
  offset = target.writeInt32BE(input.firstSequence ?? 0, offset);
  offset = target.writeInt32BE(records.length, offset);
  for (const record of records) offset = record.writeTo(target, offset);
  target.writeInt32BE(offset - start - LENGTH_AT - 4, start + LENGTH_AT); // everything after the length itself
  target.writeUInt32BE(crc32c(target, start + CRC_START, offset), start + CRC_START - 4);
  return offset;
}

function writeInt64(buffer: Buffer, offset: number, { high, low }: { readonly high: number; readonly low: number }): number {
  buffer.writeInt32BE(high, offset);
  return buffer.writeInt32BE(low, offset + 4);
}
