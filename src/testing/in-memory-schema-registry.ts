import { ErrorCode, KascadeError } from '../errors.js';
import { createAvroType } from '../serde/avro-type.js';
import type { SchemaRegistryClient, SubjectVersion } from '../serde/serde.js';

/**
 * A schema registry in memory, for unit tests and the topology test driver. It behaves like the
 * real ones where kascade can tell: ids start at 1; the same schema gets the same id (in any
 * subject, as Confluent and Apicurio do; whitespace between JSON tokens does not matter); an
 * invalid Avro schema is refused with ConfigInvalid (a real registry answers 422); an unknown id
 * throws SchemaNotFound. It does not check compatibility between versions.
 */
export class InMemorySchemaRegistry implements SchemaRegistryClient {
  readonly #idsBySchema = new Map<string, number>();
  readonly #schemasById = new Map<number, string>();
  readonly #versions = new Map<string, number[]>();

  register(subject: string, schema: string): Promise<number> {
    let canonical: string;
    try {
      canonical = JSON.stringify(JSON.parse(schema));
      createAvroType(JSON.parse(schema) as Parameters<typeof createAvroType>[0]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(
        new KascadeError(ErrorCode.ConfigInvalid, `in-memory schema registry rejected the schema for subject "${subject}" as not a valid schema: ${reason}`),
      );
    }
    let id = this.#idsBySchema.get(canonical);
    if (id === undefined) {
      id = this.#idsBySchema.size + 1;
      this.#idsBySchema.set(canonical, id);
      this.#schemasById.set(id, schema);
    }
    const versions = this.#versions.get(subject) ?? [];
    if (!versions.includes(id)) versions.push(id);
    this.#versions.set(subject, versions);
    return Promise.resolve(id);
  }

  schemaById(id: number): Promise<string> {
    const schema = this.#schemasById.get(id);
    if (schema === undefined) {
      return Promise.reject(new KascadeError(ErrorCode.SchemaNotFound, `schema id ${id} is not known to the in-memory schema registry`));
    }
    return Promise.resolve(schema);
  }

  latestVersion(subject: string): Promise<SubjectVersion | undefined> {
    const ids = this.#versions.get(subject) ?? [];
    const id = ids.at(-1);
    const schema = id === undefined ? undefined : this.#schemasById.get(id);
    return Promise.resolve(id === undefined || schema === undefined ? undefined : { subject, version: ids.length, id, schema });
  }

  /** Subjects with at least one registered version, in registration order. */
  subjects(): string[] {
    return [...this.#versions.keys()];
  }

  /** The id of the subject's latest version, or undefined when nothing was registered under it. */
  latestId(subject: string): number | undefined {
    return this.#versions.get(subject)?.at(-1);
  }
}
