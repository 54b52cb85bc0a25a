/* eslint-disable @typescript-eslint/no-non-null-assertion -- the hex table is indexed by char codes below 128, checked first */

import { exactCopy } from '../serde/byte-copy.js';

/** A protobuf wire type: varint, 64-bit, length-delimited or 32-bit. */
export type WireType = 0 | 1 | 2 | 5;

const TWO_TO_32 = 4_294_967_296;

/** Nibble of each ASCII hex digit (other characters read as 0). */
const HEX = (() => {
  const table = new Uint8Array(128);
  for (let digit = 0; digit < 10; digit++) table[48 + digit] = digit;
  for (let letter = 0; letter < 6; letter++) {
    table[65 + letter] = 10 + letter;
    table[97 + letter] = 10 + letter;
  }
  return table;
})();

const nibble = (code: number): number => (code < 128 ? HEX[code]! : 0);

/** Bytes of `value` as a varint (non-negative), or 10 for a negative number (64-bit two's complement). */
export function varintSize(value: number): number {
  if (value < 0) return 10;
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** UTF-8 bytes of a string: its length when it is ASCII. */
export function utf8Length(text: string): number {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 127) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

/**
 * A single-pass protobuf writer into one growing buffer, reused between messages. A nested
 * message reserves one byte for its length and moves its bytes along when the length needs more,
 * so nothing is measured twice.
 */
export class ProtobufWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  position = 0;

  /** Starts a new message in the same buffer. */
  reset(): void {
    this.position = 0;
  }

  /** A copy of the bytes written since the last reset (the buffer is reused). */
  finish(): Uint8Array {
    return this.copyFrom(0);
  }

  /** The bytes written since `start`, as a copy. */
  copyFrom(start: number): Uint8Array {
    return exactCopy(this.buffer, start, this.position);
  }

  private reserve(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  tag(field: number, wireType: WireType): void {
    this.varint(field * 8 + wireType);
  }

  /** A varint: non-negative integers below 2^53, or a negative one as 64-bit two's complement (10 bytes). */
  varint(value: number): void {
    this.reserve(10);
    if (value < 0) {
      this.negativeVarint(value);
      return;
    }
    while (value >= 128) {
      this.buffer[this.position++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buffer[this.position++] = value;
  }

  private negativeVarint(value: number): void {
    // Two's complement of |value| over 64 bits, as low and high 32-bit halves.
    const magnitude = -value;
    let low = ~(magnitude % TWO_TO_32) >>> 0;
    let high = ~Math.floor(magnitude / TWO_TO_32) >>> 0;
    low = (low + 1) >>> 0;
    if (low === 0) high = (high + 1) >>> 0;
    while (high > 0 || low > 127) {
      this.buffer[this.position++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buffer[this.position++] = low;
  }

  fixed32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value >>> 0, this.position);
    this.position += 4;
  }

  fixed64(low: number, high: number): void {
    this.reserve(8);
    this.buffer.writeUInt32LE(low >>> 0, this.position);
    this.buffer.writeUInt32LE(high >>> 0, this.position + 4);
    this.position += 8;
  }

  double(value: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.position);
    this.position += 8;
  }

  /** Bytes already encoded (a cached fragment), as they are. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /** A length-delimited byte string. */
  bytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A length-delimited UTF-8 string whose byte length is known. */
  stringOfLength(text: string, byteLength: number): void {
    this.varint(byteLength);
    this.reserve(byteLength);
    if (byteLength === text.length) {
      for (let index = 0; index < byteLength; index++) this.buffer[this.position++] = text.charCodeAt(index);
    } else {
      this.position += this.buffer.write(text, this.position, byteLength, 'utf8');
    }
  }

  string(text: string): void {
    this.stringOfLength(text, utf8Length(text));
  }

  /** A length-delimited byte string given as hex digits (trace and span ids), decoded in place. */
  hex(digits: string): void {
    const length = digits.length >>> 1;
    this.varint(length);
    this.reserve(length);
    for (let index = 0; index < length; index++) {
      this.buffer[this.position++] = (nibble(digits.charCodeAt(2 * index)) << 4) | nibble(digits.charCodeAt(2 * index + 1));
    }
  }

  /** Starts a nested message; `end` with the returned mark writes its length. */
  begin(): number {
    this.reserve(1);
    return this.position++;
  }

  end(mark: number): void {
    const length = this.position - mark - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.reserve(size - 1);
      this.buffer.copyWithin(mark + size, mark + 1, this.position);
      this.position += size - 1;
    }
    let at = mark;
    let value = length;
    while (value >= 128) {
      this.buffer[at++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buffer[at] = value;
  }
}
