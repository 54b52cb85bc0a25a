import { decodeHeaders, headersOf, type Headers, type SourceRecord } from '../runtime/record.js';
import { topicPartitioner } from '../routing/colocation.js';
import type { StageHandler } from '../runtime/stage-handler.js';
import { createStageHandler, type StageContext, type StagePlugins } from '../runtime/stage-handlers.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { resolveModelsRoot } from '../topology/models-root.js';
import { StagePipeline } from '../runtime/stage-pipeline.js';
import type { SchemaRegistryClient } from '../serde/serde.js';
import { createTopicSerdes, type TopicSerdes } from '../serde/serde-factory.js';
import { consumerGroupOf, deadLetterTopicOf, sameEncoding, stageInputs, stageOutputs, topicSpecOf, type StageSpec, type TopologySpec } from '../topology/spec.js';
import { StageEngine } from '../runtime/delivery/stage-engine.js';
import { InMemoryCluster, type ProducedRecord } from '../runtime/delivery/in-memory/in-memory-cluster.js';
import { inMemoryTransport } from '../runtime/delivery/in-memory/in-memory-transport.js';
import { TransformRegistry } from '../transforms/transform-registry.js';
import { InMemorySchemaRegistry } from './in-memory-schema-registry.js';
import { ManualClock } from './manual-clock.js';
import { fieldsReadBy } from '../runtime/fields-read.js';

export interface TestInput {
  /** A string is written as its UTF-8 bytes. */
  readonly key?: string | Buffer | null;
  readonly value: unknown;
  /** Name -> text, or a list of headers in order (repeated names, bytes and null values allowed). */
  readonly headers?: Readonly<Record<string, string>> | Headers;
}

/** A record as a test reads it back: decoded value, plus where it landed. */
export interface TestOutput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The key as UTF-8 text (see keyBytes for the bytes). */
  readonly key: string | null;
  readonly keyBytes: Buffer | null;
  readonly value: unknown;
  /** The first non-null value of each header, as text (see headerList for every header). */
  readonly headers: Readonly<Record<string, string>>;
  /** Every header, in order, as written. */
  readonly headerList: Headers;
  readonly timestamp: string;
}

export interface TopologyTestDriverOptions {
  readonly plugins?: Partial<StagePlugins>;
  readonly registry?: SchemaRegistryClient;
  /** Folder that relative paths in the topology (schema files) are resolved against. */
  readonly baseDir?: string;
  readonly clock?: ManualClock;
  /** Folder of model files; default: the topology's modelsRoot resolved against baseDir. */
  readonly modelsRoot?: string;
  /** Where stages log (model loads, reloads); silent by default. */
  readonly logger?: Logger;
  /** Records handed to a stage at once (default 100), like a fetched batch. */
  readonly maxBatchSize?: number;
}

interface RunningStage {
  readonly spec: StageSpec;
  readonly handler: StageHandler;
  readonly engine: StageEngine;
}

/**
 * Runs a whole topology in memory, without Kafka: like Kafka Streams' TopologyTestDriver.
 * Topics are partitioned logs (partition chosen from the key exactly as Kafka's default
 * partitioner does, or by model cohort where a topic declares `colocateFor`), values go through
 * the real serdes (Avro against an in-memory registry), and each stage runs on kascade's own
 * delivery engine over an in-memory broker: offsets are committed after writes, exactly-once
 * stages write in transactions (read_committed readers see their records once committed), and
 * every record a stage writes to a topic another stage reads is fed on, so cascades run end to
 * end. `pipe` returns once every stage has consumed and committed everything it can.
 */
export class TopologyTestDriver {
  readonly clock: ManualClock;
  readonly registry: SchemaRegistryClient;
  private readonly cluster: InMemoryCluster;
  private readonly serdes: TopicSerdes;
  private readonly stages: RunningStage[] = [];
  private starting: Promise<void> | undefined;

  constructor(
    private readonly spec: TopologySpec,
    private readonly options: TopologyTestDriverOptions = {},
  ) {
    this.clock = options.clock ?? new ManualClock();
    this.registry = options.registry ?? new InMemorySchemaRegistry();
    // Keyless records go to partition 0: deterministic, where Kafka would spread them.
    this.cluster = new InMemoryCluster({ clock: this.clock, partitioner: topicPartitioner(spec), keylessPartitioner: () => 0 });
    this.serdes = createTopicSerdes(spec, { registry: this.registry, baseDir: options.baseDir ?? process.cwd() });
  }

  /** Registers schemas and starts every stage. Called by the first `pipe` if not before. */
  start(): Promise<void> {
    this.starting ??= this.startStages();
    return this.starting;
  }

  private async startStages(): Promise<void> {
    const plugins: StagePlugins = {
      transforms: this.options.plugins?.transforms ?? new TransformRegistry(),
      ...(this.options.plugins?.createModelRunner === undefined ? {} : { createModelRunner: this.options.plugins.createModelRunner }),
    };
    const baseDir = this.options.baseDir ?? process.cwd();
    const logger = this.options.logger ?? silentLogger;
    const context: StageContext = {
      plugins,
      serdes: this.serdes,
      modelsRoot: this.options.modelsRoot ?? resolveModelsRoot(this.spec, baseDir),
      logger,
      clock: this.clock,
    };
    const handlers = this.spec.stages.map((spec) => ({ spec, handler: createStageHandler(spec, context) }));
    // Handlers first: an inference stage provides its prediction schema when it starts.
    for (const { handler } of handlers) await handler.start?.();
    const topics = new Set<string>(Object.keys(this.spec.topics));
    for (const stage of this.spec.stages) for (const topic of [...stageInputs(stage), ...stageOutputs(stage), deadLetterTopicOf(stage)]) topics.add(topic);
    await this.serdes.initAll([...topics].filter((topic) => !this.spec.stages.some((stage) => deadLetterTopicOf(stage) === topic) || topic in this.spec.topics));
    for (const topic of topics) this.cluster.createTopic(topic, topicSpecOf(this.spec, topic).partitions);
    const maxBatchSize = this.options.maxBatchSize ?? 100;
    for (const { spec, handler } of handlers) {
      const pipeline = new StagePipeline({
        stage: spec.name,
        handler,
        serdeFor: (topic) => this.serdes.serdeFor(topic),
        keyDecoderFor: (topic) => this.serdes.keyDecoderFor(topic),
        onError: spec.onError ?? this.spec.defaults.onError,
        deadLetterTopic: deadLetterTopicOf(spec),
        requestId: spec.requestId,
        clock: this.clock,
        sameEncoding: (from, to) => sameEncoding(this.spec, from, to),
        fieldsRead: fieldsReadBy(this.spec, spec),
      });
      const delivery = spec.delivery ?? this.spec.defaults.delivery;
      const transport = inMemoryTransport(this.cluster, { groupId: consumerGroupOf(this.spec, spec), inputs: stageInputs(spec), delivery, maxBatchSize });
      const engine = new StageEngine({ stage: spec.name, delivery, pipeline, transport, logger, maxBatchSize, transactionLingerMs: 0 });
      await engine.start();
      this.stages.push({ spec, handler, engine });
    }
  }

  /** Writes records to a topic (encoded with its serde), then runs the topology until it is idle. */
  async pipe(topic: string, inputs: readonly TestInput[]): Promise<void> {
    await this.start();
    const serde = this.serdes.serdeFor(topic);
    const records: ProducedRecord[] = [];
    for (const input of inputs) records.push({ key: keyBytesOf(input.key), value: await serde.serialize(input.value), headers: headerListOf(input.headers) });
    this.cluster.produce(topic, records);
    await this.runUntilIdle();
  }

  /** Writes raw bytes, e.g. to check how a stage treats a record that is not valid for its topic. */
  async pipeRaw(topic: string, inputs: readonly (Omit<TestInput, 'value'> & { readonly value: Buffer | null; readonly timestamp?: string })[]): Promise<void> {
    await this.start();
    this.cluster.produce(
      topic,
      inputs.map((input) => ({
        key: keyBytesOf(input.key),
        value: input.value,
        headers: headerListOf(input.headers),
        ...(input.timestamp === undefined ? {} : { timestamp: input.timestamp }),
      })),
    );
    await this.runUntilIdle();
  }

  /**
   * Moves the driver's clock forward, lets stateful stages write what timed out (collect), and
   * runs the topology until it is idle again.
   */
  async advanceTime(ms: number): Promise<void> {
    await this.start();
    this.clock.advance(ms);
    for (const stage of this.stages) stage.engine.expireHeldNow();
    await this.runUntilIdle();
  }

  /** Every committed record on a topic, decoded with its serde, in partition then offset order. */
  async read(topic: string): Promise<TestOutput[]> {
    const serde = this.serdes.serdeFor(topic);
    return Promise.all(this.cluster.read(topic).map(async (record) => this.toOutput(record, await serde.deserialize(record.value))));
  }

  /** Every committed record on a topic with its value as raw bytes (for dead-letter topics). */
  readRaw(topic: string): TestOutput[] {
    return this.cluster.read(topic).map((record) => this.toOutput(record, record.value));
  }

  /** Topics that hold at least one record. */
  topics(): string[] {
    return this.cluster.log
      .topics()
      .filter((topic) => this.cluster.read(topic).length > 0)
      .sort();
  }

  /** Each stage's handler counters (model loads, evictions, batch sizes). */
  stats(): Record<string, Readonly<Record<string, number | string>>> {
    return Object.fromEntries(this.stages.map((stage) => [stage.spec.name, stage.handler.stats?.() ?? {}]));
  }

  /** Stops every stage (commits, leaves its group) and its handler (releases models and the like). */
  async close(): Promise<void> {
    for (const stage of this.stages) await stage.engine.stop();
    for (const stage of this.stages) await stage.handler.stop?.();
  }

  private toOutput(record: SourceRecord, value: unknown): TestOutput {
    return {
      topic: record.topic,
      partition: record.partition,
      offset: Number(record.offset),
      key: record.key === null ? null : record.key.toString('utf8'),
      keyBytes: record.key,
      value,
      headers: decodeHeaders(record.headers),
      headerList: record.headers,
      timestamp: record.timestamp,
    };
  }

  /** Waits until no stage has anything left to read, write or commit, and a stage that failed says so. */
  private async runUntilIdle(): Promise<void> {
    for (;;) {
      const before = this.cluster.log.size();
      await this.cluster.transportIdle();
      await Promise.all(this.stages.map((stage) => stage.engine.settled()));
      await this.cluster.transportIdle();
      const failed = await firstFailure(this.stages);
      if (failed !== undefined) throw failed;
      if (this.cluster.log.size() === before) return;
    }
  }
}

/** The error of the first stage that failed (onError: fail), if any. */
async function firstFailure(stages: readonly RunningStage[]): Promise<Error | undefined> {
  const exits = await Promise.all(stages.map((stage) => Promise.race([stage.engine.exited, Promise.resolve(undefined)])));
  for (const exit of exits) if (exit?.kind === 'failed') return exit.error;
  return undefined;
}

function keyBytesOf(key: string | Buffer | null | undefined): Buffer | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function headerListOf(headers: TestInput['headers']): Headers {
  if (headers === undefined) return [];
  return Array.isArray(headers) ? (headers as Headers) : headersOf(headers as Readonly<Record<string, string>>);
}
