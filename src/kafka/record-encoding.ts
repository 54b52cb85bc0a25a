import { createRequire } from 'node:module';

/**
 * Producing was the largest cost of a stage (about 40% of its main thread): kafkajs encodes each
 * record, and each of its headers, in a fresh zero-filled 512-byte buffer, writes every varint
 * through a temporary array and `Buffer.from`, and every timestamp through 64-bit Long objects,
 * copying the bytes several times. A stage's outputs carry about ten headers, so this grew with
 * what kascade writes. This encoder writes the same Kafka record (v2 format, "record/v0" in
 * kafkajs) into one buffer sized up front.
 *
 * It replaces kafkajs's record encoder before kafkajs first loads (its produce request keeps a
 * reference to the encoder it required): client.ts, the one module that loads kafkajs, imports
 * this first. If kafkajs is laid out differently, or already loaded, nothing is changed.
 * test/kafka/record-encoding.test.ts compares the bytes with kafkajs's own encoder.
 */

/** What kafkajs hands its record encoder (one message of a produce request). */
export interface RecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;
}

/** What kafkajs's batch encoder reads from an encoded record (the shape of its Encoder). */
export interface EncodedRecord {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

/** Zig-zag encoding, as Kafka's varints use it; exact for |n| < 2^52 (lengths, deltas). */
const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

function varintSize(n: number): number {
  let value = zigzag(n);
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Bytes of a nullable varint-prefixed field: the length (-1 for null) and the bytes. */
function fieldSize(byteLength: number): number {
  return varintSize(byteLength) + Math.max(0, byteLength);
}

const byteLengthOf = (value: Buffer | string | null | undefined): number => (value == null ? -1 : Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value));

class RecordWriter {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  varint(n: number): void {
    let value = zigzag(n);
    while (value >= 128) {
      this.buffer[this.offset++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buffer[this.offset++] = value;
  }

  /** A varint length, then the bytes; `byteLength` is known already (-1 writes null). */
  field(value: Buffer | string | null | undefined, byteLength: number): void {
    this.varint(byteLength);
    if (byteLength <= 0 || value == null) return;
    if (Buffer.isBuffer(value)) this.offset += value.copy(this.buffer, this.offset);
    else this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
  }
}

/** One Kafka record, byte for byte what kafkajs's record/v0 writes, in a single buffer. */
export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordInput): EncodedRecord {
  const pairs: [string, Buffer | string][] = [];
  for (const [name, entry] of Object.entries(headers)) {
    if (entry === undefined) continue;
    if (Array.isArray(entry)) for (const item of entry as readonly (Buffer | string)[]) pairs.push([name, item]);
    else pairs.push([name, entry as Buffer | string]);
  }
  const keyLength = byteLengthOf(key);
  const valueLength = byteLengthOf(value);
  const headerLengths = pairs.map(([name, headerValue]) => [Buffer.byteLength(name), byteLengthOf(headerValue)] as const);
  let bodySize = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + fieldSize(keyLength) + fieldSize(valueLength) + varintSize(pairs.length);
  for (const [nameLength, valueByteLength] of headerLengths) bodySize += fieldSize(nameLength) + fieldSize(valueByteLength);

  const writer = new RecordWriter(Buffer.allocUnsafe(varintSize(bodySize) + bodySize));
  writer.varint(bodySize);
  writer.buffer[writer.offset++] = 0; // attributes: unused in record v2
  writer.varint(timestampDelta);
  writer.varint(offsetDelta);
  writer.field(key, keyLength);
  writer.field(value, valueLength);
  writer.varint(pairs.length);
  pairs.forEach(([name, headerValue], index) => {
    const [nameLength, valueByteLength] = headerLengths[index] ?? [0, 0];
    writer.field(name, nameLength);
    writer.field(headerValue, valueByteLength);
  });
  return { buf: writer.buffer, buffer: writer.buffer };
}

/** The record encoder's module, as kafkajs 2.x lays it out. */
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const PRODUCE_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';

/** Installs `encodeRecord` as kafkajs's record encoder; false when kafkajs was already loaded or is laid out differently. */
export function installRecordEncoder(): boolean {
  const require = createRequire(import.meta.url);
  try {
    if (require.cache[require.resolve(PRODUCE_MODULE)] !== undefined) return false;
    const recordPath = require.resolve(RECORD_MODULE);
    require(recordPath);
    const cached = require.cache[recordPath];
    if (cached === undefined) return false;
    cached.exports = encodeRecord;
    return true;
  } catch {
    return false;
  }
}

installRecordEncoder();
