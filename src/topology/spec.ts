import { z } from 'zod';

/**
 * The topology format. This zod schema is the single source of truth: YAML files are validated
 * against it, the TypeScript types below are inferred from it, and the builder produces it.
 * Stage kinds are a union on `type`; later stage kinds (inference, router) join the union.
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Kafka's own rule for topic names. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export const Name = z.string().regex(NAME, 'must start with a letter or digit and hold only letters, digits, ".", "_", "-"');
export const TopicName = z.string().regex(TOPIC, 'is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)');

export const TopicFormat = z.enum(['avro', 'json', 'bytes']);

/**
 * How record keys of a topic are read. Keys are always written as the bytes that were read; the
 * format only decodes them for routers, keyed models and transforms.
 */
export const KeyFormat = z.enum(['string', 'avro', 'json', 'bytes']);

export const KeySpec = z.strictObject({
  /** string: UTF-8 text; avro: Confluent wire format (subject `<topic>-key`); json: UTF-8 JSON; bytes: not decoded. */
  format: KeyFormat,
  /** Avro reader schema file (.avsc) for keys, relative to the topology file; without it keys decode in their writer's schema. */
  schema: z.string().min(1).optional(),
});

export const TopicSpec = z.strictObject({
  /** Partition count used by `kascade topics`; key partitioning keeps per-key order and model colocation. */
  partitions: z.number().int().min(1).default(1),
  replicationFactor: z.number().int().min(1).optional(),
  /** How record values are encoded. Avro uses the Confluent wire format and the schema registry. */
  format: TopicFormat.default('json'),
  /** Avro schema file (.avsc) for values written to this topic, relative to the topology file. */
  schema: z.string().min(1).optional(),
  /** Written by something outside this topology (the topic is an entry point). */
  external: z.boolean().default(false),
  /**
   * Model colocation: the keyed inference stage that reads this topic. Records are then
   * partitioned by model cohort instead of by key hash, so each stage instance sees few models.
   */
  colocateFor: Name.optional(),
  /**
   * How keys are decoded. Undeclared, a key is offered as its UTF-8 text when it is valid UTF-8,
   * else as bytes only; a declared format that does not decode dead-letters the record.
   */
  key: KeySpec.optional(),
});

/** Consumer tuning of one stage. kafkajs heartbeats between batches, so a session must outlast the slowest batch. */
export const ConsumerTuning = z.strictObject({
  /** How long the group waits for a silent member before moving its partitions (default 30000; broker minimum 6000). */
  sessionTimeoutMs: z.number().int().min(1000).optional(),
  /** Records handed to the stage at once; offsets advance after each batch (default 500). */
  maxBatchSize: z.number().int().min(1).optional(),
  /** Input partitions processed at the same time; their outputs share produce requests (default 4). */
  partitionsConsumedConcurrently: z.number().int().min(1).optional(),
  /**
   * Bytes fetched per partition at most (default 262144). A fetch is decoded in one go on the
   * event loop: smaller fetches keep the loop's stalls short, larger ones cost fewer round trips.
   */
  fetchBytesPerPartition: z.number().int().min(1024).optional(),
  /**
   * A partition with records waiting and no progress (fetch, records written, commit) for this
   * long makes the stage stuck (default 120000): its consumer is restarted once, and the stage
   * fails when that does not help. An outage the stage is retrying does not count.
   */
  stuckAfterMs: z.number().int().min(10_000).optional(),
});

export const DeliveryGuarantee = z.enum(['at-least-once', 'exactly-once']);
/** What a stage does with a record it cannot process: dead-letter it (default), stop the stage, or drop it (counted). */
export const ErrorPolicy = z.enum(['dlq', 'fail', 'skip']);

/** Where the request id that follows a record through the pipeline is found. */
export const RequestIdSource = z.union([
  z.strictObject({ field: z.string().min(1) }),
  z.strictObject({ header: z.string().min(1) }),
]);

const StageCommon = {
  name: Name,
  /** One topic or several. */
  input: z.union([TopicName, z.array(TopicName).min(1)]),
  /** Consumer group; defaults to `<topology>.<stage>`. */
  group: z.string().min(1).optional(),
  delivery: DeliveryGuarantee.optional(),
  onError: ErrorPolicy.optional(),
  /** Dead-letter topic; defaults to `<first input>.dlq`. */
  deadLetterTopic: TopicName.optional(),
  requestId: RequestIdSource.optional(),
  consumer: ConsumerTuning.optional(),
};

export const TransformStage = z.strictObject({
  ...StageCommon,
  type: z.literal('transform'),
  /** A transform registered by name (built-in or through the TS API). YAML never holds code. */
  function: Name,
  /** Options handed to the transform; their shape is the transform's business. */
  options: z.record(z.string(), z.unknown()).optional(),
  output: TopicName,
});

/** One post-processing step of an inference stage: a registered transform by name, and its options. */
export const PostprocessStep = z.strictObject({
  function: Name,
  options: z.record(z.string(), z.unknown()).optional(),
});

/** An ONNX model file, relative to the topology's models root. */
export const ModelRef = z.strictObject({
  id: Name,
  path: z.string().min(1),
  /** Declared version; when absent the version is a hash of the file's content. */
  version: z.string().min(1).optional(),
  /**
   * Pins the file's content: its SHA-256 (64 hex digits, as `sha256sum` prints it). A file with
   * another digest does not load: the stage does not start, and a hot reload keeps the old version.
   */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be the file's SHA-256: 64 hexadecimal digits (as sha256sum prints it)").optional(),
});

/** Beam's KeyModelMapping: records whose key (or `modelKey` field) is one of `keys` go to this model. */
export const KeyedModel = z.strictObject({
  ...ModelRef.shape,
  keys: z.array(z.string().min(1)).min(1),
});

export const TensorDtype = z.enum(['float32', 'float64', 'int32', 'int64']);

/** How record values become one named model input: one row per record. */
export const TensorInput = z.union([
  /** Numeric fields, in this order, packed into a vector. */
  z.strictObject({ fields: z.array(z.string().min(1)).min(1), dtype: TensorDtype.default('float32') }),
  /** One field holding an array of numbers (its length must match the model's fixed dimension). */
  z.strictObject({ field: z.string().min(1), dtype: TensorDtype.default('float32') }),
]);

/** A prediction field taken from a model output: the record's row of that output (a number when it has one element). */
export const TensorOutput = z.strictObject({ output: z.string().min(1) });

export const BatchSpec = z.strictObject({
  /** Records per model run, gathered across all assigned partitions. */
  maxSize: z.number().int().min(1).default(64),
  /** How long a partial batch waits for more records while every worker is computing (with a worker free it runs at once). */
  maxWaitMs: z.number().int().min(0).default(5),
});

export const OnnxSessionSpec = z.strictObject({
  intraOpThreads: z.number().int().min(1).optional(),
  interOpThreads: z.number().int().min(1).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
});

export const InferenceStage = z.strictObject({
  ...StageCommon,
  type: z.literal('inference'),
  /** One model for every record (Beam's RunInference)... */
  model: ModelRef.optional(),
  /** ...or several, picked by key (Beam's KeyedModelHandler). Exactly one of model / models. */
  models: z.array(KeyedModel).min(1).optional(),
  /** With `models`: the record field holding the model key; the record key by default. */
  modelKey: z.strictObject({ field: z.string().min(1) }).optional(),
  /** With `models`: the model id for keys no mapping names; without it such records are dead-lettered. */
  defaultModel: Name.optional(),
  /** Beam's max_models_per_worker_hint: loaded models per stage instance; least recently used are released. */
  maxModelsPerWorker: z.number().int().min(1).optional(),
  batch: BatchSpec.default({ maxSize: 64, maxWaitMs: 5 }),
  /** Model input name -> how to build it from the record. */
  inputs: z.record(z.string().min(1), TensorInput),
  /** Prediction field -> model output. */
  outputs: z.record(z.string().min(1), TensorOutput),
  /** Input fields copied onto the prediction as they are (ids that attribute outcomes, e.g. user, ad). */
  passthrough: z.array(z.string().min(1)).default([]),
  /**
   * Transforms applied, in order, to each prediction before it is written (Beam's RunInference
   * -> ParDo(post_processing) in one stage); each may filter or explode. The output topic then
   * carries their result, so an Avro output needs its own `schema:`.
   */
  postprocess: z.array(PostprocessStep).min(1).optional(),
  /** Worker threads that run the model sessions (the event loop never runs a model). */
  workers: z.number().int().min(1).optional(),
  session: OnnxSessionSpec.optional(),
  /** Hot reload: watch model files and switch to a changed file between batches (default on). */
  reload: z.strictObject({ watch: z.boolean().default(true), intervalMs: z.number().int().min(100).default(1000) }).optional(),
  output: TopicName,
});

export const RouterArm = z.strictObject({
  name: Name,
  /** Relative share of units; weights need not sum to 100. */
  weight: z.number().positive(),
  output: TopicName,
});

/**
 * The A/B pattern's weighted, sticky topic router: hash(salt + unit id) picks a bucket, weight
 * ranges over the buckets pick the arm. The same unit lands in the same arm across restarts,
 * instances and replays; changing weights moves only the units whose bucket changed range.
 */
export const RouterStage = z.strictObject({
  ...StageCommon,
  type: z.literal('router'),
  /** Experiment id, written on every routed record. */
  experiment: Name,
  /** Hash salt; defaults to the experiment id. A new salt reshuffles every unit. */
  salt: z.string().min(1).optional(),
  /** The randomisation unit: the record key (default) or a field (e.g. user id). */
  unit: z.union([z.literal('key'), z.strictObject({ field: z.string().min(1) })]).default('key'),
  arms: z.array(RouterArm).min(1),
  /** Shadow traffic: a sticky percentage of units is also copied to a mirror topic. */
  mirror: z.strictObject({ name: Name, percent: z.number().min(0).max(100), output: TopicName }).optional(),
});

export const Stage = z.discriminatedUnion('type', [TransformStage, InferenceStage, RouterStage]);

export const StageDefaults = z.strictObject({
  delivery: DeliveryGuarantee.default('at-least-once'),
  onError: ErrorPolicy.default('dlq'),
});

export const Topology = z.strictObject({
  name: Name,
  description: z.string().optional(),
  topics: z.record(TopicName, TopicSpec).default({}),
  defaults: StageDefaults.default({ delivery: 'at-least-once', onError: 'dlq' }),
  /** Folder model paths are relative to, itself relative to the topology file (default: the file's folder). KASCADE_MODELS_ROOT overrides. */
  modelsRoot: z.string().min(1).optional(),
  /** Cycles between stages are rejected unless a topology says it really means one. */
  allowCycles: z.boolean().default(false),
  stages: z.array(Stage).min(1),
});

/** A validated topology, defaults applied. */
export type TopologySpec = z.output<typeof Topology>;
/** What a user writes (defaults optional). */
export type TopologyInput = z.input<typeof Topology>;
export type StageSpec = z.output<typeof Stage>;
export type TransformStageSpec = z.output<typeof TransformStage>;
export type InferenceStageSpec = z.output<typeof InferenceStage>;
export type RouterStageSpec = z.output<typeof RouterStage>;
export type RouterArmSpec = z.output<typeof RouterArm>;
export type ModelRefSpec = z.output<typeof ModelRef>;
export type KeyedModelSpec = z.output<typeof KeyedModel>;
export type TensorInputSpec = z.output<typeof TensorInput>;
export type TensorOutputSpec = z.output<typeof TensorOutput>;
export type TensorDtype = z.output<typeof TensorDtype>;
export type OnnxSessionSpec = z.output<typeof OnnxSessionSpec>;
export type TopicSpec = z.output<typeof TopicSpec>;
export type PostprocessStepSpec = z.output<typeof PostprocessStep>;
export type TopicFormat = z.output<typeof TopicFormat>;
export type KeyFormat = z.output<typeof KeyFormat>;
export type KeySpec = z.output<typeof KeySpec>;
export type DeliveryGuarantee = z.output<typeof DeliveryGuarantee>;
export type ErrorPolicy = z.output<typeof ErrorPolicy>;
export type RequestIdSource = z.output<typeof RequestIdSource>;
export type ConsumerTuning = z.output<typeof ConsumerTuning>;

export function stageInputs(stage: StageSpec): readonly string[] {
  return typeof stage.input === 'string' ? [stage.input] : stage.input;
}

/** Every topic a stage writes to in normal operation (not its dead-letter topic). */
export function stageOutputs(stage: StageSpec): readonly string[] {
  if (stage.type !== 'router') return [stage.output];
  return [...stage.arms.map((arm) => arm.output), ...(stage.mirror === undefined ? [] : [stage.mirror.output])];
}

/**
 * Whether some input of `stage` is written in transactions by the topology: an output of an
 * exactly-once stage (any stage of the topology, as another process may run it). Such a stage
 * must read with a client that drops aborted transactions correctly.
 */
export function readsTransactions(topology: TopologySpec, stage: StageSpec): boolean {
  const transactional = new Set(
    topology.stages
      .filter((writer) => (writer.delivery ?? topology.defaults.delivery) === 'exactly-once')
      .flatMap((writer) => stageOutputs(writer)),
  );
  return stageInputs(stage).some((topic) => transactional.has(topic));
}

export function consumerGroupOf(topology: TopologySpec, stage: StageSpec): string {
  return stage.group ?? `${topology.name}.${stage.name}`;
}

export function deadLetterTopicOf(stage: StageSpec): string {
  return stage.deadLetterTopic ?? `${stageInputs(stage)[0] ?? stage.name}.dlq`;
}

/** The topic's declaration, or the defaults for an undeclared topic (JSON, one partition). */
export function topicSpecOf(topology: TopologySpec, topic: string): TopicSpec {
  return topology.topics[topic] ?? { partitions: 1, format: 'json', external: false };
}

/** Whether a value read from `from` may be written to `to` as the same bytes: same format and schema file. */
export function sameEncoding(topology: TopologySpec, from: string, to: string): boolean {
  const source = topicSpecOf(topology, from);
  const target = topicSpecOf(topology, to);
  return source.format === target.format && source.schema === target.schema;
}
