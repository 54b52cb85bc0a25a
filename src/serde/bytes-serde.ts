import { ErrorCode, KascadeError } from '../errors.js';
import type { Serde } from './serde.js';

/** Raw values: the Buffer as it is on the topic (e.g. an image or a tensor an upstream system packed). */
export function createBytesSerde(): Serde {
  return new BytesSerde();
}

class BytesSerde implements Serde {
  readonly format = 'bytes' as const;

  init(): Promise<void> {
    return Promise.resolve();
  }

  deserialize(data: Buffer | null): Promise<unknown> {
    if (data === null) {
      return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, 'record has no value (a tombstone): nothing to hand over as bytes'));
    }
    return Promise.resolve(data);
  }

  serialize(value: unknown): Promise<Buffer | null> {
    if (value === null) return Promise.resolve(null); // a tombstone, as in every format
    if (Buffer.isBuffer(value)) return Promise.resolve(value);
    // A view on the same memory, not a copy.
    if (value instanceof Uint8Array) return Promise.resolve(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    if (typeof value === 'string') return Promise.resolve(Buffer.from(value, 'utf8'));
    return Promise.reject(
      new KascadeError(ErrorCode.EncodeFailed, `a bytes topic takes a Buffer, a Uint8Array or a string (written as UTF-8), got ${kind(value)}`),
    );
  }
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'undefined';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
