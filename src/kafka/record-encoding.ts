/**
 * Producing was the largest cost of a stage (about 40% of its main thread): kafkajs encodes each
 * record, and each of its headers, in a fresh zero-filled 512-byte buffer, writes every varint
 * through a temporary array and `Buffer.from`, and every timestamp through 64-bit Long objects,
 * copying the bytes several times. A stage's outputs carry about ten headers, so this grew with
 * what kascade writes. This encoder writes the same Kafka record (v2 format, "record/v0" in
 * kafkajs): its key, value and headers once, sized up front (the tail), and the tail with its
 * place in the batch straight into the produce request.
 *
 * kafkajs-patches.ts installs it in kafkajs. test/kafka/record-encoding.test.ts compares the
 * bytes with kafkajs's own encoder.
 */

/** Set on a message whose key, value and headers kascade encoded already (see outgoing-encoding.ts). */
export const ENCODED_TAIL: unique symbol = Symbol('kascade.encodedTail');

/** What kafkajs hands its record encoder (one message of a produce request). */
export interface RecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;
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

/** Bytes of a nullable varint-prefixed field: the length (-1 for null) and the bytes. */
function fieldSize(byteLength: number): number {
  return varintSize(byteLength) + Math.max(0, byteLength);
}

/**
 * Header names and values are short and almost always ASCII. For those, a JavaScript loop is
 * about four times faster than Buffer.byteLength and buffer.write, each a call into C++; longer
 * strings go through Node.
 */
const SHORT_STRING = 64;

/** UTF-8 bytes of a string: its length when short and ASCII (a string is ASCII exactly when the two are equal). */
function utf8Length(text: string): number {
  if (text.length > SHORT_STRING) return Buffer.byteLength(text);
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 127) return Buffer.byteLength(text);
  return text.length;
}

const byteLengthOf = (value: Buffer | string | null | undefined): number => (value == null ? -1 : Buffer.isBuffer(value) ? value.length : utf8Length(value));

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
    if (Buffer.isBuffer(value)) this.bytes(value);
    else if (byteLength === value.length && byteLength <= SHORT_STRING) this.ascii(value);
    else this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
  }

  /**
   * Bytes copied as they are. TypedArray `set`, not Buffer `copy`: copy checks its arguments and
   * makes a view of its source first, which cost more than the copy for a header's few bytes.
   */
  bytes(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  private ascii(text: string): void {
    for (let index = 0; index < text.length; index++) this.buffer[this.offset++] = text.charCodeAt(index);
  }
}

/** Header names recur on every record: each is encoded (length prefix and bytes) once. */
const encodedNames = new Map<string, Buffer>();
const MAX_ENCODED_NAMES = 1024;

function encodedName(name: string): Buffer {
  let encoded = encodedNames.get(name);
  if (encoded === undefined) {
    const length = Buffer.byteLength(name);
    const writer = new RecordWriter(Buffer.allocUnsafe(fieldSize(length)));
    writer.field(name, length);
    encoded = writer.buffer;
    if (encodedNames.size < MAX_ENCODED_NAMES) encodedNames.set(name, encoded);
  }
  return encoded;
}

/**
 * The part of a Kafka record (v2) that does not depend on its place in a batch: key, value,
 * header count and headers. Sized up front, written once.
 */
export function encodeRecordTail(key: Buffer | string | null | undefined, value: Buffer | string | null | undefined, headers: RecordInput['headers'] = {}): Buffer {
  const pairs: { readonly name: Buffer; readonly value: Buffer | string; readonly length: number }[] = [];
  for (const name in headers) {
    const entry = headers[name];
    if (entry === undefined) continue;
    for (const item of Array.isArray(entry) ? (entry as readonly (Buffer | string)[]) : [entry as Buffer | string]) {
      pairs.push({ name: encodedName(name), value: item, length: byteLengthOf(item) });
    }
  }
  const keyLength = byteLengthOf(key);
  const valueLength = byteLengthOf(value);
  let size = fieldSize(keyLength) + fieldSize(valueLength) + varintSize(pairs.length);
  for (const pair of pairs) size += pair.name.length + fieldSize(pair.length);
  const writer = new RecordWriter(Buffer.allocUnsafe(size));
  writer.field(key, keyLength);
  writer.field(value, valueLength);
  writer.varint(pairs.length);
  for (const pair of pairs) {
    writer.bytes(pair.name);
    writer.field(pair.value, pair.length);
  }
  return writer.buffer;
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
