import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';
import type { KeySpec } from '../topology/spec.js';
import { createAvroSerde, type AvroSchemaSource } from './avro-serde.js';
import type { SchemaRegistryClient } from './serde.js';
import { strictUtf8 } from './utf8.js';

/**
 * Turns a record key's bytes into the value routers, keyed models and transforms see. Keys are
 * never encoded again: outputs carry the bytes that were read, so only decoding lives here.
 */
export interface KeyDecoder {
  /** Called once when a stage starts. */
  init(): Promise<void>;
  /**
   * The decoded key. A declared format the bytes do not follow throws a record-level
   * KascadeError (DecodeFailed: the record is dead-lettered); an unreachable registry throws a
   * retriable one (the stage pauses).
   */
  decode(bytes: Buffer): Promise<unknown>;
}

function utf8Text(bytes: Buffer, format: KeySpec['format']): string {
  const text = strictUtf8(bytes);
  if (text === undefined) throw new KascadeError(ErrorCode.DecodeFailed, `cannot decode key (format ${format}): not valid UTF-8`);
  return text;
}

/** A record-level decoding error says it is about the key; systemic ones (registry down) pass as they are. */
function asKeyError(error: unknown, format: KeySpec['format']): Error {
  if (!isKascadeError(error)) return error instanceof Error ? error : new Error(String(error));
  if (error.retriable) return error;
  return new KascadeError(error.code, `cannot decode key (format ${format}): ${error.message}`, { cause: error });
}

export interface KeyDecoderOptions {
  readonly topic: string;
  readonly registry: SchemaRegistryClient;
  /** The reader schema of Avro keys, when the topology declares one. */
  readonly schema?: AvroSchemaSource | undefined;
}

/** The decoder of a declared key format. */
export function createKeyDecoder(spec: KeySpec, options: KeyDecoderOptions): KeyDecoder {
  const ready = { init: () => Promise.resolve() };
  switch (spec.format) {
    case 'bytes':
      return { ...ready, decode: (bytes) => Promise.resolve(bytes) };
    case 'string':
      return { ...ready, decode: (bytes) => Promise.resolve(utf8Text(bytes, 'string')) };
    case 'json':
      return {
        ...ready,
        decode: (bytes) => {
          const text = utf8Text(bytes, 'json');
          try {
            return Promise.resolve(JSON.parse(text) as unknown);
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, `cannot decode key (format json): not valid JSON: ${reason}`, { cause: error }));
          }
        },
      };
    case 'avro': {
      // Keys are read only: their subject belongs to whoever writes the topic.
      const serde = createAvroSerde({
        topic: options.topic,
        registry: options.registry,
        subject: `${options.topic}-key`,
        part: 'key',
        registerAtInit: false,
        ...(options.schema === undefined ? {} : { schema: options.schema }),
      });
      return { init: () => serde.init(), decode: (bytes) => serde.deserialize(bytes).catch((error: unknown) => Promise.reject(asKeyError(error, 'avro'))) };
    }
  }
}
