import type avro from 'avsc';
import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';
import { createAvroType, plainValueOf } from './avro-type.js';
import { describeType, explainInvalid } from './avro-validation.js';
import { encodeConfluentFrameWith, readConfluentFrame } from './confluent-wire-format.js';
import type { SchemaRegistryClient, Serde } from './serde.js';

/**
 * An Avro schema as JSON (what an .avsc file holds, parsed), or how to load it (called until a
 * load succeeds, e.g. reading the file at init). Not an avsc Type: kascade builds its own, with
 * its value mapping (see avro-type.ts).
 */
export type AvroSchemaSource = avro.schema.AvroSchema | (() => Promise<avro.schema.AvroSchema>);

export interface AvroSerdeOptions {
  readonly topic: string;
  readonly registry: SchemaRegistryClient;
  /**
   * The topic's schema: the writer schema for `serialize` and the reader schema for
   * `deserialize` (records written with another schema are resolved into it). Without one,
   * records decode in their writer's shape and `serialize` fails with ConfigInvalid.
   */
  readonly schema?: AvroSchemaSource;
  /** Defaults to `<topic>-value` (Confluent's TopicNameStrategy). */
  readonly subject?: string;
  /** What the serde decodes, for error messages: record values (default) or keys. */
  readonly part?: 'value' | 'key';
  /**
   * Whether `init()` registers the schema (default true). False for topics written outside the
   * topology: their schema is only a reader schema, and kascade must not add versions to the
   * producer's subject. `serialize` registers on first use either way (it needs the id).
   */
  readonly registerAtInit?: boolean;
  /**
   * How long a schema id the registry does not know is taken as unknown without asking again
   * (default 1000 ms). Poison from a producer on another registry carries the same few ids:
   * without this, every chunk would wait for the registry again, and the good records with it.
   * Short, because a registry replica may miss an id just registered elsewhere for a moment.
   */
  readonly unknownIdTtlMs?: number;
  /** Milliseconds since the epoch, for unknownIdTtlMs (default Date.now). */
  readonly now?: () => number;
}

/** At most this many unknown ids are remembered (garbage bytes can carry any id). */
const MAX_UNKNOWN_IDS = 1024;

interface OwnSchema {
  readonly type: avro.Type;
  /** What is registered: the schema as the user wrote it, so docs and attributes stay. */
  readonly text: string;
}

interface RegisteredSchema {
  readonly type: avro.Type;
  readonly id: number;
}

/** Decodes an Avro body written with one particular schema id. */
type BodyReader = (body: Buffer) => unknown;

/** The reader of whole values for one writer schema id, and that writer's type (for projections). */
interface WriterReader {
  readonly read: BodyReader;
  readonly writerType: avro.Type;
}

/** Confluent-framed Avro values with avsc and a schema registry. */
export function createAvroSerde(options: AvroSerdeOptions): Serde {
  return new AvroSerde(options);
}

class AvroSerde implements Serde {
  readonly format = 'avro' as const;
  readonly #topic: string;
  readonly #part: 'value' | 'key';
  readonly #subject: string;
  readonly #registry: SchemaRegistryClient;
  readonly #source: AvroSchemaSource | undefined;
  readonly #registerAtInit: boolean;
  #own: Promise<OwnSchema | undefined> | undefined;
  #registered: Promise<RegisteredSchema> | undefined;
  /** Per writer schema id; ids are immutable, so a reader (and its resolver) is built once. */
  readonly #readers = new Map<number, Promise<WriterReader>>();
  /** Per writer schema id and fields: readers that build only those fields (deserializeFields). */
  readonly #projections = new Map<string, Promise<BodyReader>>();
  /** Ids the registry said it does not know, until when that answer stands. */
  readonly #unknown = new Map<number, { readonly error: KascadeError; readonly until: number }>();
  readonly #unknownIdTtlMs: number;
  readonly #now: () => number;

  constructor(options: AvroSerdeOptions) {
    this.#topic = options.topic;
    this.#part = options.part ?? 'value';
    this.#subject = options.subject ?? `${options.topic}-value`;
    this.#registry = options.registry;
    this.#source = options.schema;
    this.#registerAtInit = options.registerAtInit ?? true;
    this.#unknownIdTtlMs = options.unknownIdTtlMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  async init(): Promise<void> {
    if (this.#source === undefined) return;
    if (this.#registerAtInit) await this.#registration();
    else await this.#ownSchema();
  }

  async serialize(value: unknown): Promise<Buffer | null> {
    // null is a tombstone, as with Confluent's serializer: no value, whatever the schema.
    if (value === null) return null;
    const own = await this.#registration();
    // Checked before encoding: avsc's encoder does not say which field is wrong. Properties the
    // schema does not declare are ignored (not written), as with every Avro serializer.
    if (!own.type.isValid(value)) {
      const problem = explainInvalid(own.type, value) ?? 'value does not fit the schema';
      throw new KascadeError(ErrorCode.EncodeFailed, `value does not fit the Avro schema ${describeType(own.type)} of topic "${this.#topic}": ${problem}`);
    }
    try {
      return encodeConfluentFrameWith(own.id, (buffer, offset) => own.type.encode(value, buffer, offset));
    } catch (error) {
      throw new KascadeError(ErrorCode.EncodeFailed, `cannot encode value as Avro for topic "${this.#topic}": ${message(error)}`, { cause: error });
    }
  }

  async deserialize(data: Buffer | null): Promise<unknown> {
    const frame = readConfluentFrame(data, this.#part);
    return decodeFrame(frame.schemaId, frame.body, (await this.#readerFor(frame.schemaId)).read);
  }

  async deserializeFields(data: Buffer | null, fields: readonly string[]): Promise<unknown> {
    const frame = readConfluentFrame(data, this.#part);
    return decodeFrame(frame.schemaId, frame.body, await this.#projectionFor(frame.schemaId, fields));
  }

  /**
   * A reader of only `fields` for bodies written with `writerId`: a reader schema with just those
   * fields, resolved against the writer's, skips the others without building them. Falls back to
   * the whole reader whenever such a schema cannot be made (not a record, a field missing).
   */
  #projectionFor(writerId: number, fields: readonly string[]): Promise<BodyReader> {
    const key = `${writerId}:${fields.join(',')}`;
    let projection = this.#projections.get(key);
    if (projection === undefined) {
      projection = retryable(
        async () => {
          // Errors (unknown id, registry down, incompatible schemas) are the whole reader's, as deserialize reports them.
          const { read: whole, writerType } = await this.#readerFor(writerId);
          const projected = projectRecord((await this.#ownSchema())?.type ?? writerType, fields);
          if (projected === undefined) return whole;
          try {
            const resolver = projected.createResolver(writerType);
            return (body: Buffer) => decodeBody(projected, body, resolver);
          } catch {
            return whole;
          }
        },
        () => this.#projections.delete(key),
      );
      this.#projections.set(key, projection);
    }
    return projection;
  }

  /** The topic's own schema, loaded and checked once. */
  #ownSchema(): Promise<OwnSchema | undefined> {
    return (this.#own ??= retryable(
      async () => {
        const source = this.#source;
        if (source === undefined) return undefined;
        const schema = typeof source === 'function' ? await source() : source;
        try {
          return { type: createAvroType(schema), text: schemaText(schema) };
        } catch (error) {
          throw new KascadeError(ErrorCode.ConfigInvalid, `topic "${this.#topic}": the Avro schema is not valid: ${message(error)}`, { cause: error });
        }
      },
      () => (this.#own = undefined),
    ));
  }

  /** Registers the topic's schema under its subject; once, unless it failed. */
  #registration(): Promise<RegisteredSchema> {
    return (this.#registered ??= retryable(
      async () => {
        const own = await this.#ownSchema();
        if (own === undefined) {
          // Every record would fail the same way: a configuration problem, not a bad record.
          throw new KascadeError(ErrorCode.ConfigInvalid, `topic "${this.#topic}" has format avro but declares no schema: kascade cannot write to it`);
        }
        const id = await this.#registry.register(this.#subject, own.text);
        return { type: own.type, id };
      },
      () => (this.#registered = undefined),
    ));
  }

  #readerFor(writerId: number): Promise<WriterReader> {
    const unknown = this.#unknown.get(writerId);
    if (unknown !== undefined) {
      if (this.#now() < unknown.until) return Promise.reject(unknown.error);
      this.#unknown.delete(writerId);
    }
    let reader = this.#readers.get(writerId);
    if (reader === undefined) {
      reader = retryable(
        () => this.#buildReader(writerId),
        (error) => {
          this.#readers.delete(writerId);
          if (isKascadeError(error, ErrorCode.SchemaNotFound)) this.#rememberUnknown(writerId, error);
        },
      );
      this.#readers.set(writerId, reader);
    }
    return reader;
  }

  #rememberUnknown(writerId: number, error: KascadeError): void {
    if (this.#unknownIdTtlMs <= 0) return;
    // Oldest first out: a Map iterates in insertion order.
    if (this.#unknown.size >= MAX_UNKNOWN_IDS) this.#unknown.delete(this.#unknown.keys().next().value ?? writerId);
    this.#unknown.set(writerId, { error, until: this.#now() + this.#unknownIdTtlMs });
  }

  async #buildReader(writerId: number): Promise<WriterReader> {
    const readerType = (await this.#ownSchema())?.type;
    const registered = this.#registered === undefined ? undefined : await this.#registered.catch(() => undefined);
    if (readerType !== undefined && registered?.id === writerId) return { read: (body) => decodeBody(readerType, body), writerType: readerType };

    const text = await this.#registry.schemaById(writerId);
    let writerType: avro.Type;
    try {
      writerType = createAvroType(JSON.parse(text) as avro.schema.AvroSchema);
    } catch (error) {
      throw new KascadeError(ErrorCode.DecodeFailed, `schema id ${writerId} from the registry is not a valid Avro schema: ${message(error)}`, {
        cause: error,
      });
    }
    if (readerType === undefined) return { read: (body) => decodeBody(writerType, body), writerType };
    let resolver: ReturnType<avro.Type['createResolver']>;
    try {
      resolver = readerType.createResolver(writerType);
    } catch (error) {
      throw new KascadeError(
        ErrorCode.DecodeFailed,
        `records written with schema id ${writerId} cannot be read with the schema of topic "${this.#topic}": ${message(error)}`,
        { cause: error },
      );
    }
    return { read: (body) => decodeBody(readerType, body, resolver), writerType };
  }
}

/**
 * `type` (a record) with only `fields`, in its order, under the same name (so writer schemas
 * resolve against it as against the whole); undefined when it is not a record or lacks a field.
 * Each field's schema is written out whole, so named types it uses stay defined.
 */
function projectRecord(type: avro.Type, fields: readonly string[]): avro.Type | undefined {
  if (type.typeName !== 'record' || !('fields' in type) || !Array.isArray(type.fields)) return undefined;
  const kept = (type.fields as readonly avro.types.Field[]).filter((field) => fields.includes(field.name));
  if (kept.length !== fields.length) return undefined;
  try {
    return createAvroType({
      type: 'record',
      name: type.name ?? 'projection',
      fields: kept.map((field) => ({ name: field.name, type: field.type.schema() as avro.schema.DefinedType })),
    });
  } catch {
    return undefined;
  }
}

/** A framed body decoded by `read`, as plain values; a body it cannot decode is the record's DecodeFailed. */
function decodeFrame(schemaId: number, body: Buffer, read: BodyReader): unknown {
  let value: unknown;
  try {
    value = read(body);
  } catch (error) {
    // avsc says "truncated buffer", "trailing data", "invalid union index"...
    throw new KascadeError(ErrorCode.DecodeFailed, `Avro body written with schema id ${schemaId} cannot be decoded: ${message(error)}`, { cause: error });
  }
  return value;
}

/** Decodes the whole body (avsc throws on truncated input and on trailing bytes) into plain values. */
function decodeBody(type: avro.Type, body: Buffer, resolver?: ReturnType<avro.Type['createResolver']>): unknown {
  const value: unknown = resolver === undefined ? type.fromBuffer(body) : type.fromBuffer(body, resolver);
  return plainValueOf(type, value);
}

function schemaText(schema: avro.schema.AvroSchema): string {
  return JSON.stringify(schema);
}

/** Memoizes nothing on failure: `forget` runs when the attempt rejects, so the next call tries again. */
function retryable<T>(attempt: () => Promise<T>, forget: (error: unknown) => void): Promise<T> {
  const pending = attempt();
  // The caller sees the rejection through `pending`; this branch only forgets it.
  void pending.catch(forget);
  return pending;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
