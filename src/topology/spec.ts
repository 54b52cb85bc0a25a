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
});

/** Consumer tuning of one stage. kafkajs heartbeats between batches, so a session must outlast the slowest batch. */
export const ConsumerTuning = z.strictObject({
  /** How long the group waits for a silent member before moving its partitions (default 30000; broker minimum 6000). */
  sessionTimeoutMs: z.number().int().min(1000).optional(),
  /** Records handed to the stage at once; offsets advance after each batch (default 500). */
  maxBatchSize: z.number().int().min(1).optional(),
  /** Input partitions processed at the same time; their outputs share produce requests (default 4). */
  partitionsConsumedConcurrently: z.number().int().min(1).optional(),
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

export const Stage = z.discriminatedUnion('type', [TransformStage]);

export const StageDefaults = z.strictObject({
  delivery: DeliveryGuarantee.default('at-least-once'),
  onError: ErrorPolicy.default('dlq'),
});

export const Topology = z.strictObject({
  name: Name,
  description: z.string().optional(),
  topics: z.record(TopicName, TopicSpec).default({}),
  defaults: StageDefaults.default({ delivery: 'at-least-once', onError: 'dlq' }),
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
export type TopicSpec = z.output<typeof TopicSpec>;
export type TopicFormat = z.output<typeof TopicFormat>;
export type DeliveryGuarantee = z.output<typeof DeliveryGuarantee>;
export type ErrorPolicy = z.output<typeof ErrorPolicy>;
export type RequestIdSource = z.output<typeof RequestIdSource>;
export type ConsumerTuning = z.output<typeof ConsumerTuning>;

export function stageInputs(stage: StageSpec): readonly string[] {
  return typeof stage.input === 'string' ? [stage.input] : stage.input;
}

/** Every topic a stage writes to in normal operation (not its dead-letter topic). */
export function stageOutputs(stage: StageSpec): readonly string[] {
  // Every stage kind so far has one `output`; routers (several arms) will extend this.
  return [stage.output];
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
