import { ErrorCode, KascadeError } from '../errors.js';
import type { Serde } from './serde.js';

/** UTF-8 JSON values. */
export function createJsonSerde(): Serde {
  return new JsonSerde();
}

// fatal: invalid UTF-8 is a decode error, not text with U+FFFD in it.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

class JsonSerde implements Serde {
  readonly format = 'json' as const;

  init(): Promise<void> {
    return Promise.resolve();
  }

  deserialize(data: Buffer | null): Promise<unknown> {
    if (data === null) {
      return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, 'record has no value (a tombstone): nothing to decode as JSON'));
    }
    if (data.length === 0) {
      // JSON.parse would only say "Unexpected end of JSON input".
      return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, 'value is empty (0 bytes): not JSON'));
    }
    let text: string;
    try {
      text = UTF8.decode(data);
    } catch (error) {
      return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, 'value is not valid UTF-8, so not JSON', { cause: error }));
    }
    try {
      return Promise.resolve(JSON.parse(text) as unknown);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, `value is not valid JSON: ${reason}`, { cause: error }));
    }
  }

  serialize(value: unknown): Promise<Buffer | null> {
    // null is a tombstone (no value), the same in every format; write the JSON text `null` as a Buffer if you mean it.
    if (value === null) return Promise.resolve(null);
    // A throw in the executor becomes the rejection.
    return new Promise((resolve) => resolve(Buffer.from(toJsonText(value), 'utf8')));
  }
}

/**
 * JSON.stringify, but refusing what JSON would silently change: functions and symbols (dropped),
 * NaN and ±Infinity (turned into null: a NaN score must not become a missing one), Map and Set
 * (turned into `{}`), BigInt and
 * cycles (which JSON.stringify throws on without saying where). `undefined` object properties
 * are dropped as usual: that is how optional fields look in JS.
 */
function toJsonText(value: unknown): string {
  if (value === undefined) throw new KascadeError(ErrorCode.EncodeFailed, 'value is undefined: JSON has no representation for it');
  // JSON.stringify visits holders before their members, so each member's path is its holder's plus its key.
  const paths = new WeakMap<object, string>();
  const replacer = function (this: unknown, key: string, member: unknown): unknown {
    const holderPath = typeof this === 'object' && this !== null ? (paths.get(this) ?? '') : '';
    const path = key === '' && holderPath === '' ? '$' : `${holderPath}${Array.isArray(this) ? `[${key}]` : `.${key}`}`;
    if (member instanceof Map || member instanceof Set) throw unrepresentable(path, `a ${member.constructor.name}`);
    if (typeof member === 'object' && member !== null) {
      paths.set(member, path);
      return member;
    }
    if (typeof member === 'bigint') throw unrepresentable(path, `a bigint (${member.toString()})`);
    if (typeof member === 'function' || typeof member === 'symbol') throw unrepresentable(path, `a ${typeof member}`);
    if (typeof member === 'number' && !Number.isFinite(member)) throw unrepresentable(path, String(member));
    return member;
  };
  let text: string | undefined;
  try {
    text = stringify(value, replacer);
  } catch (error) {
    if (error instanceof KascadeError) throw error;
    // A cycle: V8's message names the property that closes it.
    const reason = error instanceof Error ? error.message : String(error);
    throw new KascadeError(ErrorCode.EncodeFailed, `value cannot be written as JSON: ${reason}`, { cause: error });
  }
  if (text === undefined) throw new KascadeError(ErrorCode.EncodeFailed, 'value cannot be written as JSON (JSON.stringify returned nothing)');
  return text;
}

/** JSON.stringify is typed as returning a string, but gives undefined when e.g. the value's toJSON() returns undefined. */
function stringify(value: unknown, replacer: (this: unknown, key: string, member: unknown) => unknown): string | undefined {
  return JSON.stringify(value, replacer);
}

function unrepresentable(path: string, what: string): KascadeError {
  return new KascadeError(ErrorCode.EncodeFailed, `value cannot be written as JSON: ${path} is ${what}, which JSON cannot represent`);
}
