import { readFile as readFileFromDisk } from 'node:fs/promises';
import { resolve } from 'node:path';
import type avro from 'avsc';
import { ErrorCode, KascadeError } from '../errors.js';
import { stageOutputs, type TopicSpec, type TopologySpec } from '../topology/spec.js';
import { createAvroSerde } from './avro-serde.js';
import { createAvroType } from './avro-type.js';
import { createBytesSerde } from './bytes-serde.js';
import { createJsonSerde } from './json-serde.js';
import { createKeyDecoder, type KeyDecoder } from './key-decoder.js';
import { registeredAvroSchema, type KnownAvroSchema } from './known-avro-schema.js';
import type { SchemaRegistryClient, Serde } from './serde.js';

export interface TopicSerdesOptions {
  readonly registry: SchemaRegistryClient;
  /** Schema files are relative to this folder (the topology file's). */
  readonly baseDir: string;
  /** Reads a schema file as UTF-8 text; defaults to the file system. */
  readonly readFile?: (path: string) => Promise<string>;
}

/** The serdes of one topology's topics. */
export interface TopicSerdes {
  /** The topic's serde, from `topics.<name>.format` and `schema`; undeclared topics are JSON. One instance per topic. */
  serdeFor(topic: string): Serde;
  /** The decoder of the topic's declared key format (`topics.<name>.key`); undefined when it declares none. One instance per topic. */
  keyDecoderFor(topic: string): KeyDecoder | undefined;
  /**
   * Creates and initialises the serdes of `topics` (registers output schemas). `written` are the
   * topics the stages of this process write (all outputs of the topology by default): only those
   * need a schema here; a topic another process writes is decoded with its writer's schema.
   */
  initAll(topics: readonly string[], written?: readonly string[]): Promise<void>;
  /**
   * Gives an Avro topic without a schema file the schema a stage generated for it (e.g. the
   * prediction records of an inference stage). Call before the topic's serde is first used.
   */
  provideSchema(topic: string, schema: avro.schema.AvroSchema): void;
  /** The Avro schema of a topic, from its file or a provided one; undefined for other formats. */
  avroSchemaOf(topic: string): Promise<avro.schema.AvroSchema | undefined>;
  /**
   * What is known of the Avro schema of a topic's records: its file or a provided one, else the
   * latest version registered under its subject (`<topic>-value`, asked now), else that nothing
   * is. Undefined for other formats.
   */
  knownAvroSchema(topic: string): Promise<KnownAvroSchema | undefined>;
  /** Whether a schema provided for the topic (provideSchema) is the one its records are written with: Avro, no schema file. */
  usesProvidedSchema(topic: string): boolean;
}

export function createTopicSerdes(spec: TopologySpec, options: TopicSerdesOptions): TopicSerdes {
  const readFile = options.readFile ?? ((path: string) => readFileFromDisk(path, 'utf8'));
  const serdes = new Map<string, Serde>();
  const keyDecoders = new Map<string, KeyDecoder | undefined>();
  const provided = new Map<string, avro.schema.AvroSchema>();
  // Written by a stage: such an Avro topic needs a schema, or every output would fail.
  const outputs = new Set(spec.stages.flatMap((stage) => stageOutputs(stage)));

  function create(topic: string): Serde {
    const topicSpec = spec.topics[topic];
    switch (topicSpec?.format ?? 'json') {
      case 'json':
        return createJsonSerde();
      case 'bytes':
        return createBytesSerde();
      case 'avro': {
        const schema = schemaSource(topic);
        return createAvroSerde({
          topic,
          registry: options.registry,
          ...(schema === undefined ? {} : { schema }),
          registerAtInit: topicSpec?.external !== true,
        });
      }
    }
  }

  function schemaSource(topic: string): (() => Promise<avro.schema.AvroSchema>) | undefined {
    const file = spec.topics[topic]?.schema;
    if (file !== undefined) return () => loadAvroSchema(`topic "${topic}"`, resolve(options.baseDir, file), readFile);
    const generated = provided.get(topic);
    return generated === undefined ? undefined : () => Promise.resolve(generated);
  }

  function provideSchema(topic: string, schema: avro.schema.AvroSchema): void {
    if (spec.topics[topic]?.schema !== undefined) return; // a declared schema file wins
    if (serdes.has(topic)) throw new KascadeError(ErrorCode.ConfigInvalid, `topic "${topic}": a schema was provided after its serde was created`);
    provided.set(topic, schema);
  }

  async function avroSchemaOf(topic: string): Promise<avro.schema.AvroSchema | undefined> {
    if (spec.topics[topic]?.format !== 'avro') return undefined;
    return schemaSource(topic)?.();
  }

  async function knownAvroSchema(topic: string): Promise<KnownAvroSchema | undefined> {
    const declared = await avroSchemaOf(topic);
    if (declared !== undefined) return { source: 'declared', schema: declared };
    return spec.topics[topic]?.format === 'avro' ? registeredAvroSchema(options.registry, topic) : undefined;
  }

  function usesProvidedSchema(topic: string): boolean {
    const topicSpec = spec.topics[topic];
    return topicSpec?.format === 'avro' && topicSpec.schema === undefined;
  }

  function serdeFor(topic: string): Serde {
    let serde = serdes.get(topic);
    if (serde === undefined) {
      serde = create(topic);
      serdes.set(topic, serde);
    }
    return serde;
  }

  function keyDecoderFor(topic: string): KeyDecoder | undefined {
    if (keyDecoders.has(topic)) return keyDecoders.get(topic);
    const key = spec.topics[topic]?.key;
    const file = key?.schema;
    const decoder =
      key === undefined
        ? undefined
        : createKeyDecoder(key, {
            topic,
            registry: options.registry,
            schema: file === undefined ? undefined : () => loadAvroSchema(`topic "${topic}" (keys)`, resolve(options.baseDir, file), readFile),
          });
    keyDecoders.set(topic, decoder);
    return decoder;
  }

  async function initAll(topics: readonly string[], written?: readonly string[]): Promise<void> {
    const unique = [...new Set(topics)];
    const writtenHere = written === undefined ? outputs : new Set(written);
    for (const topic of unique) checkWritable(topic, spec.topics[topic], writtenHere, provided.has(topic));
    const inits = unique.flatMap((topic) => {
      const key = keyDecoderFor(topic);
      return key === undefined ? [serdeFor(topic).init()] : [serdeFor(topic).init(), key.init()];
    });
    const results = await Promise.allSettled(inits);
    // Report the first failure in the caller's order, after every init has settled.
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  return { serdeFor, keyDecoderFor, initAll, provideSchema, avroSchemaOf, knownAvroSchema, usesProvidedSchema };
}

function checkWritable(topic: string, topicSpec: TopicSpec | undefined, outputs: ReadonlySet<string>, generated: boolean): void {
  if (topicSpec?.format === 'avro' && topicSpec.schema === undefined && !generated && outputs.has(topic)) {
    throw new KascadeError(
      ErrorCode.ConfigInvalid,
      `topic "${topic}" has format avro and a stage writes to it, but it declares no schema: add topics.${topic}.schema (an .avsc file)`,
    );
  }
}

/** Reads, parses and checks an .avsc file; every failure is ConfigInvalid naming the topic and the file. */
async function loadAvroSchema(what: string, file: string, readFile: (path: string) => Promise<string>): Promise<avro.schema.AvroSchema> {
  const fail = (problem: string, cause: unknown): KascadeError =>
    new KascadeError(ErrorCode.ConfigInvalid, `${what}: Avro schema file ${file} ${problem}: ${message(cause)}`, { cause });
  let text: string;
  try {
    text = await readFile(file);
  } catch (error) {
    throw fail('cannot be read', error);
  }
  let schema: avro.schema.AvroSchema;
  try {
    schema = JSON.parse(text) as avro.schema.AvroSchema;
  } catch (error) {
    throw fail('is not JSON', error);
  }
  try {
    createAvroType(schema);
  } catch (error) {
    throw fail('is not a valid Avro schema', error);
  }
  return schema;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
