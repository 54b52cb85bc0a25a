import { strictUtf8 } from '../serde/utf8.js';
import type { KeyFormat } from '../topology/spec.js';

/**
 * A record key as text, where an id is wanted (a router's unit, a keyed model's key, model
 * colocation): a decoded string as it is, a decoded number (an Avro `long` key) as its digits,
 * anything else (an Avro record key, bytes that are not UTF-8) as the hex of its bytes, so every
 * key has one stable id. Undefined when the record has no key.
 */
export function keyTextOf(decoded: unknown, bytes: Uint8Array | null): string | undefined {
  if (typeof decoded === 'string') return decoded;
  if (typeof decoded === 'number' || typeof decoded === 'bigint') return String(decoded);
  return bytes === null ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * The same text from the key bytes alone, as a producer placing a record needs it: with the
 * topic's declared key format (undeclared and `string`: UTF-8 text when valid; `json`: the parsed
 * string or number; `bytes`: hex). Avro keys need the registry, so colocation refuses them.
 */
export function keyTextOfBytes(bytes: Uint8Array, format: KeyFormat | undefined): string | undefined {
  switch (format) {
    case undefined:
    case 'string':
      return keyTextOf(strictUtf8(bytes), bytes);
    case 'json':
      return keyTextOf(parsedJson(bytes), bytes);
    case 'bytes':
    case 'avro':
      return keyTextOf(undefined, bytes);
  }
}

function parsedJson(bytes: Uint8Array): unknown {
  const text = strictUtf8(bytes);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
