import type { TopicFormat } from '../topology/spec.js';

/**
 * Turns a topic's record values into JS values and back. One Serde per topic.
 *
 * Errors: a value that cannot be decoded or encoded throws a KascadeError with a record-level,
 * non-retriable code (DecodeFailed, SchemaNotFound, EncodeFailed): the record goes to the
 * dead-letter topic. When the schema registry cannot be reached (network error, 5xx, 401, 403)
 * it throws RegistryUnreachable with `retriable: true`: the stage pauses and retries instead.
 */
export interface Serde {
  readonly format: TopicFormat;
  /** Called once when a stage starts, before any record: e.g. registers the output schema. */
  init(): Promise<void>;
  deserialize(data: Buffer | null): Promise<unknown>;
  /**
   * Like deserialize, but only the named top-level fields of a record need be built; the others
   * may be skipped (then absent from the result). Fails exactly when deserialize would. Optional:
   * a format that cannot skip leaves it out and the caller deserializes.
   */
  deserializeFields?(data: Buffer | null, fields: readonly string[]): Promise<unknown>;
  serialize(value: unknown): Promise<Buffer | null>;
}

/**
 * The part of a Confluent-compatible schema registry kascade uses. Implemented over HTTP for the
 * real registry, and in memory for the test driver.
 */
export interface SchemaRegistryClient {
  /** Registers (or finds) `schema` (Avro JSON text) under `subject`; returns its id. */
  register(subject: string, schema: string): Promise<number>;
  /** The Avro schema (JSON text) with this id; throws SchemaNotFound when the registry does not know it. */
  schemaById(id: number): Promise<string>;
  /**
   * The latest version registered under `subject`, or undefined when the subject has none (never
   * registered, or deleted). Throws ConfigInvalid when that version is not an Avro schema.
   */
  latestVersion(subject: string): Promise<SubjectVersion | undefined>;
}

/** One version of a subject, as the registry holds it. */
export interface SubjectVersion {
  readonly subject: string;
  /** 1, 2, ... within the subject. */
  readonly version: number;
  /** The schema id records written with it carry. */
  readonly id: number;
  /** The Avro schema (JSON text). */
  readonly schema: string;
}
