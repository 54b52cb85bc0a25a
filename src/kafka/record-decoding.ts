/**
 * kafkajs decodes every fetched record (v2 format, "record/v0" in kafkajs) through its Long
 * objects (BigInt inside): it parses the batch's first offset and first timestamp from strings for each record,
 * adds the deltas as Longs and prints them back, and it builds the headers object anew for each
 * header (a spread per header). This decoder gives the same message, field for field, with
 * plain numbers where they are exact and BigInt where they are not.
 *
 * kafkajs-patches.ts installs it in kafkajs. test/kafka/record-decoding.test.ts compares its
 * messages with kafkajs's own decoder's.
 */

/** What kafkajs hands its record decoder: a decoder positioned at the record's attributes. */
export interface RecordSource {
  readonly buffer: Buffer;
  offset: number;
}

/** The batch fields kafkajs passes to each record (its `recordContext` with the magic byte). */
export interface BatchContext {
  readonly firstOffset?: string;
  readonly firstTimestamp?: string;
  readonly maxTimestamp?: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
}

/**
 * The record's headers in the order they were written, repeats and null values kept: kafkajs's
 * headers object cannot hold the order across names. Rides on the message under this symbol.
 */
export const HEADER_LIST: unique symbol = Symbol('kascade.headerList');

/** Headers as the record holds them: name and value (null allowed), in order. */
export type HeaderEntry = readonly [name: string, value: Buffer | null];

const NO_HEADERS: readonly HeaderEntry[] = Object.freeze([]);

export interface DecodedMessage {
  readonly magicByte: number | undefined;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | null | (Buffer | null)[]>;
  readonly isControlRecord: boolean;
  readonly batchContext: BatchContext;
  readonly [HEADER_LIST]: readonly HeaderEntry[];
}

/** kafkajs's TimestampTypes.LOG_APPEND_TIME. */
const LOG_APPEND_TIME = 1;

/*
 * The readers move the decoder kafkajs handed over (`source.offset`) as kafkajs's own would: no
 * reader object per record.
 */

/** A zig-zag varint, with the 32-bit arithmetic of kafkajs's Decoder.readVarInt. */
function readVarint(source: RecordSource): number {
  let byte: number;
  let result = 0;
  let shift = 0;
  do {
    byte = source.buffer[source.offset++] ?? 0;
    result += (byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** A zig-zag varlong: a number while it is exact (up to 7 bytes, 49 bits), a bigint beyond. */
function readVarlong(source: RecordSource): number | bigint {
  const start = source.offset;
  let value = 0;
  let scale = 1;
  for (let index = 0; index < 7; index++) {
    const byte = source.buffer[source.offset++] ?? 0;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
  source.offset = start;
  let wide = 0n;
  let shift = 0n;
  for (let index = 0; index < 10; index++) {
    const byte = source.buffer[source.offset++] ?? 0;
    wide |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (byte < 0x80) break;
  }
  return (wide >> 1n) ^ -(wide & 1n);
}

/** A varint length and that many bytes (a view, as kafkajs's `slice`); null for length -1. */
function readBytes(source: RecordSource): Buffer | null {
  const length = readVarint(source);
  if (length === -1) return null;
  const bytes = source.buffer.subarray(source.offset, source.offset + length);
  source.offset += length;
  return bytes;
}

function readText(source: RecordSource): string | null {
  const length = readVarint(source);
  if (length === -1) return null;
  const text = source.buffer.toString('utf8', source.offset, source.offset + length);
  source.offset += length;
  return text;
}

/**
 * `base + delta` as kafkajs's Long (a BigInt, which does not wrap) prints it: in doubles while
 * both and the sum are safe integers, where that is exact, else in BigInt.
 */
function addToDecimal(base: string, baseNumber: number, delta: number | bigint): string {
  if (typeof delta === 'number') {
    const sum = baseNumber + delta;
    if (Number.isSafeInteger(baseNumber) && Number.isSafeInteger(sum)) return String(sum);
  }
  return (BigInt(base) + BigInt(delta)).toString();
}

/** A batch's first offset and timestamp as kafkajs's Long reads them (undefined is zero), and as numbers. */
interface BatchBase {
  readonly context: BatchContext;
  readonly offset: string;
  readonly offsetNumber: number;
  readonly timestamp: string;
  readonly timestampNumber: number;
}

/** The batch parsed last: records of one batch come one after another. */
let lastBatch: BatchBase | undefined;

function batchBase(context: BatchContext): BatchBase {
  if (lastBatch?.context === context) return lastBatch;
  const offset = context.firstOffset ?? '0';
  const timestamp = context.firstTimestamp ?? '0';
  lastBatch = { context, offset, offsetNumber: Number(offset), timestamp, timestampNumber: Number(timestamp) };
  return lastBatch;
}

/**
 * Headers as kafkajs gathers them: one Buffer per name, an array when the name repeats. (kafkajs
 * looks a name up with `obj[name]`, so a header named after an Object.prototype member, such as
 * `constructor`, came out as `[that member, value]`; here it is its value like any other.)
 */
function addHeader(headers: Record<string, Buffer | null | (Buffer | null)[]>, name: string, value: Buffer | null): void {
  const existing = Object.prototype.hasOwnProperty.call(headers, name) ? headers[name] : undefined;
  const next = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  // kafkajs builds the object with a computed key, which defines even `__proto__` as an own property.
  Object.defineProperty(headers, name, { value: next, enumerable: true, writable: true, configurable: true });
}

export function decodeRecord(source: RecordSource, batchContext: BatchContext = {}): DecodedMessage {
  const { magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const base = batchBase(batchContext);
  const attributes = source.buffer.readInt8(source.offset++);
  const timestampDelta = readVarlong(source);
  const timestamp = timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : addToDecimal(base.timestamp, base.timestampNumber, timestampDelta);
  const offset = addToDecimal(base.offset, base.offsetNumber, readVarint(source));
  const key = readBytes(source);
  const value = readBytes(source);
  const headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
  const count = readVarint(source);
  const list: HeaderEntry[] | readonly HeaderEntry[] = count > 0 ? [] : NO_HEADERS;
  for (let index = 0; index < count; index++) {
    const name = String(readText(source));
    const headerValue = readBytes(source);
    addHeader(headers, name, headerValue);
    (list as HeaderEntry[]).push([name, headerValue]);
  }
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext, [HEADER_LIST]: list };
}
