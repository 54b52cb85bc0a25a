import { ErrorCode, KascadeError } from '../errors.js';

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
  const header = Buffer.alloc(CONFLUENT_HEADER_LENGTH);
  header.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/** Splits a record value into schema id and body; DecodeFailed (saying what was found) when it is not a frame. */
export function readConfluentFrame(data: Buffer | null): ConfluentFrame {
  if (data === null) {
    throw new KascadeError(ErrorCode.DecodeFailed, 'record has no value (a tombstone): nothing to decode as Confluent Avro');
  }
  if (data.length < CONFLUENT_HEADER_LENGTH) {
    throw new KascadeError(
      ErrorCode.DecodeFailed,
      `value is ${data.length} byte${data.length === 1 ? '' : 's'} long, shorter than the ${CONFLUENT_HEADER_LENGTH}-byte Confluent header: not Confluent Avro`,
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
