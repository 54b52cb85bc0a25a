import type avro from 'avsc';
import { ErrorCode, KascadeError } from '../errors.js';
import { createAvroType } from './avro-type.js';
import type { SchemaRegistryClient } from './serde.js';

/**
 * What can be known, when a stage starts, of the Avro schema of a topic's records: what the
 * topology declares, else what the producers registered, else nothing. A stage that must know
 * the types of the records it reads (an inference stage copying fields into predictions) asks
 * for this instead of guessing.
 */
export type KnownAvroSchema =
  /** The topic's schema file, or the schema a stage generated for it: records are read into it. */
  | { readonly source: 'declared'; readonly schema: avro.schema.AvroSchema }
  /**
   * Nothing declared: the latest version registered under the topic's subject. Records decode in
   * their own writer's schema, which is this one unless producers registered another since.
   */
  | { readonly source: 'registry'; readonly schema: avro.schema.AvroSchema; readonly subject: string; readonly version: number; readonly id: number }
  /** Nothing declared, and nothing registered under the subject (yet). */
  | { readonly source: 'unknown'; readonly subject: string };

/** The topic's value subject (Confluent's TopicNameStrategy), as the Avro serde registers and reads it. */
function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** The latest schema registered under the topic's subject; ConfigInvalid when it is not valid Avro. */
export async function registeredAvroSchema(registry: SchemaRegistryClient, topic: string): Promise<KnownAvroSchema> {
  const subject = valueSubject(topic);
  const latest = await registry.latestVersion(subject);
  if (latest === undefined) return { source: 'unknown', subject };
  let schema: avro.schema.AvroSchema;
  try {
    schema = JSON.parse(latest.schema) as avro.schema.AvroSchema;
    createAvroType(schema);
  } catch (error) {
    throw new KascadeError(
      ErrorCode.ConfigInvalid,
      `topic "${topic}": version ${latest.version} of subject "${subject}" (schema id ${latest.id}) is not a valid Avro schema: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return { source: 'registry', schema, subject, version: latest.version, id: latest.id };
}
