/**
 * Producing was the largest cost of a stage (about 40% of its main thread): kafkajs encodes each
 * record, and each of its headers, in a fresh zero-filled 512-byte buffer, writes every varint
 * through a temporary array and `Buffer.from`, and every timestamp through 64-bit Long objects,
 * copying the bytes several times. A stage's outputs carry about ten headers, so this grew with
 * what kascade writes. This encoder writes the same Kafka record (v2 format, "record/v0" in
 * kafkajs): its key, value and headers once, in one pass (the tail), and the tail with its
 * place in the batch straight into the produce request.
 *
 * kafkajs-patches.ts installs it in kafkajs. test/kafka/record-encoding.test.ts compares the
 * bytes with kafkajs's own encoder.
 */

import type { Headers } from '../runtime/record.js';
import { exactCopy } from '../serde/byte-copy.js';
import { headersFromObject, type KafkajsHeaders } from './kafkajs-headers.js';

/** Set on a message whose key, value and headers kascade encoded already (see outgoing-encoding.ts). */
export const ENCODED_TAIL: unique symbol = Symbol('kascade.encodedTail');

/** What kafkajs hands its record encoder (one message of a produce request). */
export interface RecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: KafkajsHeaders;
  /** The record's key, value and headers as encodeRecordTail writes them; used instead of those when set. */
  readonly [ENCODED_TAIL]?: Buffer;
}

/** What kafkajs's batch encoder reads from an encoded record (the shape of its Encoder). */
export interface EncodedRecord {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

/** Zig-zag encoding, as Kafka's varints use it; exact for |n| < 2^52 (lengths, deltas). */
const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

export function varintSize(n: number): number {
  let value = zigzag(n);
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Bytes a field may take: a varint length (at most 5 bytes here) and 3 UTF-8 bytes per UTF-16 unit of a string. */
function fieldBound(value: Buffer | string | null | undefined): number {
  if (value == null) return 1;
  return 5 + (Buffer.isBuffer(value) ? value.length : value.length * 3);
}

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

  /** A varint length, then the bytes (-1 for null). */
  field(value: Buffer | string | null | undefined): void {
    if (value == null) this.varint(-1);
    else if (Buffer.isBuffer(value)) {
      this.varint(value.length);
      this.bytes(value);
    } else this.string(value);
  }

  /**
   * Bytes copied as they are. TypedArray `set`, not Buffer `copy`: copy checks its arguments and
   * makes a view of its source first, which cost more than the copy for a header's few bytes.
   */
  bytes(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /**
   * A varint length and the string's UTF-8 bytes. Header values are short and almost always
   * ASCII: those are written in one pass, a JavaScript loop being several times faster than
   * Buffer.byteLength and buffer.write (each a call into C++) for a few dozen characters.
   */
  private string(text: string): void {
    const length = text.length;
    // Below 64 characters an ASCII string's length is a one-byte varint (zig-zag doubles it).
    if (length < 64) {
      const start = this.offset++;
      for (let index = 0; index < length; index++) {
        const code = text.charCodeAt(index);
        if (code > 127) {
          this.offset = start;
          this.utf8(text);
          return;
        }
        this.buffer[this.offset++] = code;
      }
      this.buffer[start] = length * 2;
      return;
    }
    this.utf8(text);
  }

  private utf8(text: string): void {
    const byteLength = Buffer.byteLength(text, 'utf8');
    this.varint(byteLength);
    this.offset += this.buffer.write(text, this.offset, byteLength, 'utf8');
  }
}

/** Header names recur on every record: each is encoded (length prefix and bytes) once. */
const encodedNames = new Map<string, Buffer>();
const MAX_ENCODED_NAMES = 1024;

function encodedName(name: string): Buffer {
  let encoded = encodedNames.get(name);
  if (encoded === undefined) {
    const bytes = Buffer.from(name, 'utf8');
    const writer = new RecordWriter(Buffer.allocUnsafe(varintSize(bytes.length) + bytes.length));
    writer.varint(bytes.length);
    writer.bytes(bytes);
    encoded = writer.buffer;
    if (encodedNames.size < MAX_ENCODED_NAMES) encodedNames.set(name, encoded);
  }
  return encoded;
}

/** Scratch space a tail is written into before it is copied out at its exact size; grows as needed. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The part of a Kafka record (v2) that does not depend on its place in a batch: key, value,
 * header count and headers. Written in one pass into scratch space sized by a bound, then copied
 * out once: measuring every string first cost a pass over its characters of its own.
 */
export function encodeRecordTail(key: Buffer | string | null | undefined, value: Buffer | string | null | undefined, headers: Headers | KafkajsHeaders = []): Buffer {
  // kafkajs hands over an object (messages kascade did not encode); kascade's records hold a list.
  const list = Array.isArray(headers) ? (headers as Headers) : headersFromObject(headers as KafkajsHeaders);
  let bound = fieldBound(key) + fieldBound(value) + 5;
  for (const [name, item] of list) bound += 5 + 3 * name.length + fieldBound(item);
  if (bound > scratch.length) scratch = Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(bound)));
  const writer = new RecordWriter(scratch);
  writer.field(key);
  writer.field(value);
  writer.varint(list.length);
  for (const [name, item] of list) {
    writer.bytes(encodedName(name));
    writer.field(item);
  }
  return exactCopy(scratch, 0, writer.offset);
}

/** Bytes of a record after its length prefix: attributes, the deltas and the tail. */
function recordBodySize(tailLength: number, offsetDelta: number, timestampDelta: number): number {
  return 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + tailLength;
}

/** Bytes of a whole record whose tail takes `tailLength` bytes, with the given deltas. */
export function recordSize(tailLength: number, offsetDelta = 0, timestampDelta = 0): number {
  const body = recordBodySize(tailLength, offsetDelta, timestampDelta);
  return varintSize(body) + body;
}

/**
 * One Kafka record, byte for byte what kafkajs's record/v0 writes. kascade's batch encoder
 * writes it straight into the batch (`size`, `writeTo`); `buffer` makes it a buffer of its own
 * only for kafkajs's encoders (compressed batches).
 */
export class KafkaRecord implements EncodedRecord {
  /** Bytes of the record's body, after its length prefix. */
  private readonly bodySize: number;
  readonly size: number;
  #buffer: Buffer | undefined;

  constructor(
    private readonly tail: Buffer,
    private readonly offsetDelta: number,
    private readonly timestampDelta: number,
  ) {
    this.bodySize = recordBodySize(tail.length, offsetDelta, timestampDelta);
    this.size = varintSize(this.bodySize) + this.bodySize;
  }

  /** Writes the record at `offset` of `target`; returns the offset after it. */
  writeTo(target: Buffer, offset: number): number {
    const writer = new RecordWriter(target);
    writer.offset = offset;
    writer.varint(this.bodySize);
    target[writer.offset++] = 0; // attributes: unused in record v2
    writer.varint(this.timestampDelta);
    writer.varint(this.offsetDelta);
    writer.bytes(this.tail);
    return writer.offset;
  }

  get buffer(): Buffer {
    if (this.#buffer === undefined) {
      this.#buffer = Buffer.allocUnsafe(this.size);
      this.writeTo(this.#buffer, 0);
    }
    return this.#buffer;
  }

  get buf(): Buffer {
    return this.buffer;
  }
}

/** kafkajs's record encoder: one message of a produce request, with its deltas in the batch. */
export function encodeRecord(input: RecordInput): KafkaRecord {
  const tail = input[ENCODED_TAIL] ?? encodeRecordTail(input.key, input.value, input.headers);
  return new KafkaRecord(tail, input.offsetDelta ?? 0, input.timestampDelta ?? 0);
}
