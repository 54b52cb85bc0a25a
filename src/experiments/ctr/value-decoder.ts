import { ErrorCode, isKascadeError } from '../../errors.js';
import { CONFLUENT_MAGIC_BYTE } from '../../serde/confluent-wire-format.js';
import { createJsonSerde } from '../../serde/json-serde.js';
import type { Serde } from '../../serde/serde.js';

/**
 * Decodes impression and click values whatever their topic's format, record by record: a value
 * whose first byte is the Confluent magic byte (0) is Avro in the Confluent wire format, decoded
 * with its writer schema (no reader schema: every field is kept); anything else is JSON text,
 * which can never start with a 0 byte.
 */
export interface ValueDecoder {
  /** The decoded value; rejects with a record-level KascadeError (DecodeFailed, SchemaNotFound) for a bad record. */
  decode(data: Buffer | null): Promise<unknown>;
}

export function createValueDecoder(avro: Serde): ValueDecoder {
  const json = createJsonSerde();
  return {
    decode: (data) => (data !== null && data.length > 0 && data[0] === CONFLUENT_MAGIC_BYTE ? avro.deserialize(data) : json.deserialize(data)),
  };
}

/** Whether a decode failure is about the record (count it and go on) rather than the registry (stop). */
export function isRecordDecodeFailure(error: unknown): boolean {
  return isKascadeError(error, ErrorCode.DecodeFailed) || isKascadeError(error, ErrorCode.SchemaNotFound);
}
