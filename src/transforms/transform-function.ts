/** What a transform sees besides the value. */
export interface TransformContext {
  /**
   * The record key decoded: with the input topic's declared key format (string, Avro, JSON),
   * else its UTF-8 text when valid, else undefined. Null when the record has no key.
   */
  readonly key: unknown;
  /** The key's bytes as read; outputs carry them unchanged. */
  readonly keyBytes: Buffer | null;
  readonly requestId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string; readonly timestamp: string };
  /** The stage's `options:` from the topology. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * A post-processing step, referenced by name from YAML. Returns the output value; an array
 * gives one output per element (explode); `null` or `undefined` drops the record (filter).
 * Throwing sends the record to the dead-letter topic. It must be deterministic (same input,
 * same output) so re-running after a crash writes the same records.
 */
export type TransformFunction = (value: unknown, context: TransformContext) => unknown;
