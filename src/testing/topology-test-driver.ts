import { ErrorCode, KascadeError } from '../errors.js';
import { decodeHeaders, headersOf, type Headers, type OutgoingRecord, type SourceRecord } from '../runtime/record.js';
import { topicPartitioner } from '../routing/colocation.js';
import type { StageHandler } from '../runtime/stage-handler.js';
import { createStageHandler, type StageContext, type StagePlugins } from '../runtime/stage-handlers.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { resolveModelsRoot } from '../topology/models-root.js';
import { StagePipeline } from '../runtime/stage-pipeline.js';
import type { SchemaRegistryClient } from '../serde/serde.js';
import { createTopicSerdes, type TopicSerdes } from '../serde/serde-factory.js';
import { deadLetterTopicOf, sameEncoding, stageInputs, stageOutputs, topicSpecOf, type StageSpec, type TopologySpec } from '../topology/spec.js';
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
  readonly pipeline: StagePipeline;
  /** Next offset to consume, per `topic/partition`. */
  readonly positions: Map<string, number>;
}

/**
 * Runs a whole topology in memory, without Kafka: like Kafka Streams' TopologyTestDriver.
 * Topics are partitioned logs (partition chosen from the key exactly as Kafka's default
 * partitioner does), values go through the real serdes (Avro against an in-memory registry),
 * and every record a stage writes to a topic that another stage reads is fed on, so cascades
 * run end to end. `pipe` returns once every stage has consumed everything it can.
 */
export class TopologyTestDriver {
  readonly clock: ManualClock;
  readonly registry: SchemaRegistryClient;
  private readonly logs = new Map<string, SourceRecord[][]>();
  private readonly serdes: TopicSerdes;
  private readonly stages: RunningStage[] = [];
  private readonly placeKey: (topic: string, key: Buffer, partitions: number) => number;
  private started = false;

  constructor(
    private readonly spec: TopologySpec,
    private readonly options: TopologyTestDriverOptions = {},
  ) {
    this.clock = options.clock ?? new ManualClock();
    this.registry = options.registry ?? new InMemorySchemaRegistry();
    this.placeKey = topicPartitioner(spec);
    this.serdes = createTopicSerdes(spec, { registry: this.registry, baseDir: options.baseDir ?? process.cwd() });
  }

  /** Registers schemas and starts every stage's handler. Called by the first `pipe` if not before. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const plugins: StagePlugins = {
      transforms: this.options.plugins?.transforms ?? new TransformRegistry(),
      ...(this.options.plugins?.createModelRunner === undefined ? {} : { createModelRunner: this.options.plugins.createModelRunner }),
    };
    const baseDir = this.options.baseDir ?? process.cwd();
    const context: StageContext = {
      plugins,
      serdes: this.serdes,
      modelsRoot: this.options.modelsRoot ?? resolveModelsRoot(this.spec, baseDir),
      logger: this.options.logger ?? silentLogger,
      clock: this.clock,
    };
    const handlers = this.spec.stages.map((spec) => ({ spec, handler: createStageHandler(spec, context) }));
    // Handlers first: an inference stage provides its prediction schema when it starts.
    for (const { handler } of handlers) await handler.start?.();
    const topics = new Set<string>(Object.keys(this.spec.topics));
    for (const stage of this.spec.stages) for (const topic of [...stageInputs(stage), ...stageOutputs(stage)]) topics.add(topic);
    await this.serdes.initAll([...topics]);
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
      this.stages.push({ spec, handler, pipeline, positions: new Map() });
    }
  }

  /** Writes records to a topic (encoded with its serde), then runs the topology until it is idle. */
  async pipe(topic: string, inputs: readonly TestInput[]): Promise<void> {
    await this.start();
    const serde = this.serdes.serdeFor(topic);
    for (const input of inputs) {
      this.append({ topic, key: keyBytesOf(input.key), value: await serde.serialize(input.value), headers: headerListOf(input.headers) });
    }
    await this.runUntilIdle();
  }

  /** Writes raw bytes, e.g. to check how a stage treats a record that is not valid for its topic. */
  async pipeRaw(topic: string, inputs: readonly (Omit<TestInput, 'value'> & { readonly value: Buffer | null; readonly timestamp?: string })[]): Promise<void> {
    await this.start();
    for (const input of inputs) {
      const timestamp = input.timestamp === undefined ? {} : { timestamp: input.timestamp };
      this.append({ topic, key: keyBytesOf(input.key), value: input.value, headers: headerListOf(input.headers), ...timestamp });
    }
    await this.runUntilIdle();
  }

  /**
   * Moves the driver's clock forward, lets stateful stages write what timed out (collect), and
   * runs the topology until it is idle again.
   */
  async advanceTime(ms: number): Promise<void> {
    await this.start();
    this.clock.advance(ms);
    for (const stage of this.stages) {
      for (const { topic, partition } of stage.pipeline.holder?.heldPartitions() ?? []) {
        const outcome = await stage.pipeline.expire(topic, partition);
        for (const record of outcome.outgoing) this.append(record);
      }
    }
    await this.runUntilIdle();
  }

  /** Every record on a topic, decoded with its serde, in partition then offset order. */
  async read(topic: string): Promise<TestOutput[]> {
    const serde = this.serdes.serdeFor(topic);
    return Promise.all(this.records(topic).map(async (record) => this.toOutput(record, await serde.deserialize(record.value))));
  }

  /** Every record on a topic with its value as raw bytes (for dead-letter topics). */
  readRaw(topic: string): TestOutput[] {
    return this.records(topic).map((record) => this.toOutput(record, record.value));
  }

  /** Topics that hold at least one record. */
  topics(): string[] {
    return [...this.logs.keys()].filter((topic) => this.records(topic).length > 0).sort();
  }

  /** Each stage's handler counters (model loads, evictions, batch sizes). */
  stats(): Record<string, Readonly<Record<string, number | string>>> {
    return Object.fromEntries(this.stages.map((stage) => [stage.spec.name, stage.handler.stats?.() ?? {}]));
  }

  /** Stops every stage's handler (releases models and the like). */
  async close(): Promise<void> {
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

  private records(topic: string): SourceRecord[] {
    return (this.logs.get(topic) ?? []).flat();
  }

  private partitionsOf(topic: string): SourceRecord[][] {
    let partitions = this.logs.get(topic);
    if (partitions === undefined) {
      partitions = Array.from({ length: topicSpecOf(this.spec, topic).partitions }, () => []);
      this.logs.set(topic, partitions);
    }
    return partitions;
  }

  private append(record: OutgoingRecord): void {
    const partitions = this.partitionsOf(record.topic);
    // Keyless records go to partition 0: deterministic, where Kafka would spread them.
    const partition = record.key === null ? 0 : this.placeKey(record.topic, record.key, partitions.length);
    const log = partitions[partition];
    if (log === undefined) throw new KascadeError(ErrorCode.ConfigInvalid, `no partition ${partition} in ${record.topic}`);
    log.push({
      topic: record.topic,
      partition,
      offset: String(log.length),
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp ?? String(this.clock.now().getTime()),
    });
  }

  /** Gives each stage, in turn, whatever it has not consumed, until no stage has anything left. */
  private async runUntilIdle(): Promise<void> {
    const maxBatch = this.options.maxBatchSize ?? 100;
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const stage of this.stages) {
        for (const topic of stageInputs(stage.spec)) {
          for (const [partition, log] of this.partitionsOf(topic).entries()) {
            const position = `${topic}/${partition}`;
            const from = stage.positions.get(position) ?? 0;
            if (from >= log.length) continue;
            const batch = log.slice(from, from + maxBatch);
            const outcome = await stage.pipeline.processBatch(batch);
            for (const record of outcome.outgoing) this.append(record);
            stage.positions.set(position, from + batch.length);
            progressed = true;
          }
        }
      }
    }
  }
}

function keyBytesOf(key: string | Buffer | null | undefined): Buffer | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function headerListOf(headers: TestInput['headers']): Headers {
  if (headers === undefined) return [];
  return Array.isArray(headers) ? (headers as Headers) : headersOf(headers as Readonly<Record<string, string>>);
}
