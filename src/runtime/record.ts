import { keyTextOf } from '../routing/key-text.js';

/**
 * Records as the runtime sees them, independent of the transport (Kafka or the in-memory driver).
 * Keys and headers are bytes: kascade writes exactly the key and header bytes it read.
 */

/** A header value: bytes, text (kascade's own headers, written as UTF-8), or null (Kafka allows it). */
export type HeaderValue = Buffer | string | null;
/** One Kafka header. Names may repeat and a record's headers keep their order. */
export type Header = readonly [name: string, value: HeaderValue];
export type Headers = readonly Header[];

/** A record exactly as it was read from its topic. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64; kept as decimal strings. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  /** Milliseconds since the epoch, as a decimal string (may be negative or -1: producers set what they like). */
  readonly timestamp: string;
}

/** A decoded record handed to a stage's handler. */
export interface StageRecord {
  readonly source: SourceRecord;
  /** The key as read, byte for byte: outputs carry it unchanged (and are partitioned on it). */
  readonly keyBytes: Buffer | null;
  /**
   * The key decoded: with the topic's declared key format (string, Avro, JSON), else its UTF-8
   * text when it is valid UTF-8, else undefined (bytes only). Null when the record has no key.
   */
  readonly key: unknown;
  /** The decoded value: a plain object for Avro and JSON, a Buffer for bytes. */
  readonly value: unknown;
  /** Follows the request through every stage; see lineage.ts. */
  readonly requestId: string;
  /** The headers as text: the first non-null value of each name, as UTF-8. `source.headers` has every one as bytes. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One record a handler wants written. Lineage headers are added by the runtime. */
export interface StageOutput {
  readonly topic: string;
  /** The key bytes to write: the input's `keyBytes` unless the stage re-keys. */
  readonly key: Buffer | null;
  readonly value: unknown;
  /** Headers this stage sets: each replaces every input header of its name. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The value is the input record's, untouched (a router's): when both topics encode alike, its
   * bytes are written as they came instead of encoded again.
   */
  readonly unchanged?: boolean;
}

/** An encoded record ready for the transport. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly timestamp?: string;
  /** Writes to this partition; absent: by key (the stage's partitioner), or spread when keyless. */
  readonly partition?: number | undefined;
}

/** A header value as UTF-8 text (null stays undefined: there is no text). */
export function headerValueText(value: HeaderValue): string | undefined {
  if (value === null) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** The first non-null value of the header `name`, as UTF-8 text. */
export function headerText(headers: Headers, name: string): string | undefined {
  for (const [headerName, value] of headers) {
    if (headerName === name && value !== null) return headerValueText(value);
  }
  return undefined;
}

/** The text view of headers a handler sees: the first non-null value of each name. */
export function decodeHeaders(headers: Headers): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (value === null || Object.hasOwn(decoded, name)) continue;
    // Assigning `__proto__` would set the prototype; a defined property is an own one like any other.
    if (name === '__proto__') Object.defineProperty(decoded, name, { value: headerValueText(value), enumerable: true, writable: true, configurable: true });
    else decoded[name] = headerValueText(value) ?? '';
  }
  return decoded;
}

/** Headers from a name -> text map (kascade's own headers, tests), in the map's order. */
export function headersOf(values: Readonly<Record<string, string>>): Header[] {
  return Object.entries(values);
}

/**
 * `incoming` with every header named in `replaced` taken out (all its repeats), then `added`
 * in order: how a stage's own headers replace only their own names.
 */
export function replaceHeaders(incoming: Headers, replaced: ReadonlySet<string>, added: Headers): Header[] {
  const headers: Header[] = [];
  for (const header of incoming) if (!replaced.has(header[0])) headers.push(header);
  for (const header of added) headers.push(header);
  return headers;
}

/** The key as text, where an id is wanted: see keyTextOf. */
export function keyText(record: Pick<StageRecord, 'key' | 'keyBytes'>): string | undefined {
  return keyTextOf(record.key, record.keyBytes);
}
