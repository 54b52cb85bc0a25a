import { crc32c } from './crc32c.js';
import { KafkaRecord } from './record-encoding.js';
import { RECORD_BATCH_OVERHEAD } from './record-size.js';

/**
 * kafkajs builds a record batch through three growing encoders: every batch is zero-filled and
 * copied at each doubling of each, then copied whole twice more, and its checksum is computed a
 * byte at a time. This writes the same bytes (v2 format, uncompressed) into one buffer of the
 * exact size, since each encoded record's length is known. Compressed batches are left to
 * kafkajs. test/kafka/record-batch-encoding.test.ts compares the bytes with kafkajs's.
 */

/** A 64-bit integer as kafkajs hands it over (its Long, a number or a decimal string). */
export type Int64Input = unknown;

/** What kafkajs's RecordBatch takes (protocol/recordBatch/v0). */
export interface RecordBatchInput {
  readonly compression?: number;
  readonly firstOffset?: Int64Input;
  readonly firstTimestamp?: Int64Input;
  readonly maxTimestamp?: Int64Input;
  readonly partitionLeaderEpoch?: number;
  readonly lastOffsetDelta?: number;
  readonly transactional?: boolean;
  readonly producerId?: Int64Input;
  readonly producerEpoch?: number;
  readonly firstSequence?: number;
  readonly records?: readonly unknown[];
}

/** What the produce request reads from an encoded batch (the shape of kafkajs's Encoder). */
export interface EncodedBatch {
  readonly buf: Buffer;
  readonly buffer: Buffer;
  size(): number;
}

/** Splits a 64-bit integer into its high and low 32 bits (kafkajs's Long.fromValue does the parsing). */
export type Int64Bits = (value: Int64Input) => { readonly high: number; readonly low: number };

type RecordBatchFunction = (input: RecordBatchInput) => Promise<unknown>;

const MAGIC_BYTE = 2;
const TRANSACTIONAL_FLAG = 16;
/** Bytes before the CRC-covered part: base offset, batch length, leader epoch, magic, CRC. */
const CRC_START = 8 + 4 + 4 + 1 + 4;

/** The replacement for kafkajs's RecordBatch; `original` handles compressed batches. */
export function recordBatchEncoder(original: RecordBatchFunction, bits: Int64Bits): RecordBatchFunction {
  return (input) => {
    const records = input.records ?? [];
    // KafkaRecord first: asking it for `buffer` would make the copy this avoids.
    if ((input.compression ?? 0) !== 0 || !records.every((record) => record instanceof KafkaRecord || isEncodedRecord(record))) return original(input);
    return Promise.resolve(encodeRecordBatch(input, records.map((record) => (record instanceof KafkaRecord ? record : record.buffer)), bits));
  };
}

/** Bytes of a record batch of `records` (uncompressed). */
export function recordBatchSize(records: readonly (KafkaRecord | Buffer)[]): number {
  let size = RECORD_BATCH_OVERHEAD;
  for (const record of records) size += record instanceof KafkaRecord ? record.size : record.length;
  return size;
}

/** `records`: each record, written in place or as its bytes, in offset order. */
function encodeRecordBatch(input: RecordBatchInput, records: readonly (KafkaRecord | Buffer)[], bits: Int64Bits): EncodedBatch {
  const buffer = Buffer.allocUnsafe(recordBatchSize(records));
  writeRecordBatch(buffer, 0, input, records, bits);
  return { buf: buffer, buffer, size: () => buffer.length };
}

/** Writes the batch of `records` at `start` of `target` (room for recordBatchSize bytes); returns the offset after it. */
export function writeRecordBatch(target: Buffer, start: number, input: RecordBatchInput, records: readonly (KafkaRecord | Buffer)[], bits: Int64Bits): number {
  const size = recordBatchSize(records);
  const now = Date.now();
  let offset = writeInt64(target, start, bits(input.firstOffset ?? 0));
  offset = target.writeInt32BE(size - 12, offset); // batch length: everything after itself
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
  for (const record of records) offset = record instanceof KafkaRecord ? record.writeTo(target, offset) : offset + record.copy(target, offset);
  target.writeUInt32BE(crc32c(target, start + CRC_START, start + size), start + CRC_START - 4);
  return offset;
}

function writeInt64(buffer: Buffer, offset: number, { high, low }: { readonly high: number; readonly low: number }): number {
  buffer.writeInt32BE(high, offset);
  return buffer.writeInt32BE(low, offset + 4);
}

/** A record as kafkajs's Encoder or kascade's encodeRecord leaves it: `buffer` holds exactly its bytes. */
function isEncodedRecord(record: unknown): record is { readonly buffer: Buffer } {
  return typeof record === 'object' && record !== null && 'buffer' in record && Buffer.isBuffer(record.buffer);
}
