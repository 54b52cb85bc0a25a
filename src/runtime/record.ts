/**
 * Records as the runtime sees them, independent of the transport (Kafka or the in-memory driver).
 */

/** Header values as they travel: kafkajs gives Buffers (or arrays of them for repeated keys). */
export type RawHeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;
export type RawHeaders = Readonly<Record<string, RawHeaderValue>>;

/** A record exactly as it was read from its topic. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64; kept as decimal strings like kafkajs does. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RawHeaders;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
}

/** A decoded record handed to a stage's handler. */
export interface StageRecord {
  readonly source: SourceRecord;
  readonly key: string | null;
  /** The decoded value: a plain object for Avro and JSON, a Buffer for bytes. */
  readonly value: unknown;
  /** Follows the request through every stage; see lineage.ts. */
  readonly requestId: string;
  /** Decoded headers (UTF-8 strings), first value of repeated keys. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One record a handler wants written. Lineage headers are added by the runtime. */
export interface StageOutput {
  readonly topic: string;
  readonly key: string | null;
  readonly value: unknown;
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
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string>>;
  readonly timestamp?: string;
}

export function headerText(value: RawHeaderValue): string | undefined {
  const first = Array.isArray(value) ? (value as ReadonlyArray<Buffer | string>)[0] : (value as Buffer | string | undefined);
  return first === undefined ? undefined : first.toString();
}

export function decodeHeaders(headers: RawHeaders): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = headerText(value);
    if (text !== undefined) decoded[name] = text;
  }
  return decoded;
}
