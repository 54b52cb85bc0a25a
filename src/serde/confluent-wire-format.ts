import { ErrorCode, KascadeError } from '../errors.js';
import { exactCopy } from './byte-copy.js';

/**
 * The Confluent wire format for schema-registry values: one magic byte (0), the schema id as a
 * big-endian int32, then the encoded body (Avro binary here).
 */
export const CONFLUENT_MAGIC_BYTE = 0;
export const CONFLUENT_HEADER_LENGTH = 5;

export interface ConfluentFrame {
  readonly schemaId: number;
  readonly body: Buffer;
}

export function encodeConfluentFrame(schemaId: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(CONFLUENT_HEADER_LENGTH + body.length);
  writeConfluentHeader(frame, schemaId);
  frame.set(body, CONFLUENT_HEADER_LENGTH);
  return frame;
}

function writeConfluentHeader(buffer: Buffer, schemaId: number): void {
  buffer[0] = CONFLUENT_MAGIC_BYTE;
  buffer.writeInt32BE(schemaId, 1);
}

/**
 * Writes `(buffer, offset) => end` into: the end of what it wrote, or minus the bytes it lacked
 * (avsc's `Type.encode`).
 */
export type BodyWriter = (buffer: Buffer, offset: number) => number;

/** Scratch space a frame is written into before it is copied out at its exact size; grows as needed. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * A frame of `schemaId` around what `write` encodes. Written into scratch space, then copied
 * once into a buffer of the frame's size (pooled by Node when small): avsc's own `toBuffer`
 * zero-fills a new buffer per value, and framing it after that took one more allocation and copy.
 */
export function encodeConfluentFrameWith(schemaId: number, write: BodyWriter): Buffer {
  for (;;) {
    writeConfluentHeader(scratch, schemaId);
    const end = write(scratch, CONFLUENT_HEADER_LENGTH);
    if (end >= 0) return exactCopy(scratch, 0, end);
    scratch = Buffer.allocUnsafe(scratch.length * 2 - end);
  }
}

/** Splits a record value (or key) into schema id and body; DecodeFailed (saying what was found) when it is not a frame. */
export function readConfluentFrame(data: Buffer | null, part: 'value' | 'key' = 'value'): ConfluentFrame {
  if (data === null) {
    throw new KascadeError(ErrorCode.DecodeFailed, `record has no ${part}${part === 'value' ? ' (a tombstone)' : ''}: nothing to decode as Confluent Avro`);
  }
  if (data.length < CONFLUENT_HEADER_LENGTH) {
    throw new KascadeError(
      ErrorCode.DecodeFailed,
      `${part} is ${data.length} byte${data.length === 1 ? '' : 's'} long, shorter than the ${CONFLUENT_HEADER_LENGTH}-byte Confluent header: not Confluent Avro`,
    );
  }
  const magic = data.readUInt8(0);
  if (magic !== CONFLUENT_MAGIC_BYTE) {
    throw new KascadeError(ErrorCode.DecodeFailed, `magic byte ${hexByte(magic)}, expected ${hexByte(CONFLUENT_MAGIC_BYTE)}: not Confluent Avro`);
  }
  return { schemaId: data.readInt32BE(1), body: data.subarray(CONFLUENT_HEADER_LENGTH) };
}

function hexByte(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`;
}
