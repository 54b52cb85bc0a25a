// The public API of kascade. Explicit named exports only: what is not listed here is internal.

export { ErrorCode, KascadeError, isKascadeError } from './errors.js';
export type { KascadeErrorOptions } from './errors.js';
export { connectionFromEnv, DEFAULT_KAFKA_BROKERS, DEFAULT_SCHEMA_REGISTRY_URL } from './config/connection.js';
export type { ConnectionSettings } from './config/connection.js';
export { redactUrl } from './config/redact-url.js';

// Topologies: YAML files or the builder, the same validated spec either way.
export { loadTopologyFile, parseTopology } from './topology/load.js';
export type { LoadedTopology, LoadOptions } from './topology/load.js';
export { topology, TopologyBuilder } from './topology/builder.js';
export type { StageInput, TopicInput } from './topology/builder.js';
export { TopologyError } from './topology/topology-error.js';
export type { TopologyProblem } from './topology/topology-error.js';
export { describeTopology } from './topology/describe.js';
export { topologyTopics } from './topology/topics.js';
export { Topology, consumerGroupOf, deadLetterTopicOf } from './topology/spec.js';
export type { TopologySpec, TopologyInput, StageSpec, TopicSpec, DeliveryGuarantee, ErrorPolicy } from './topology/spec.js';

// Transforms users register by name and reference from YAML.
export { TransformRegistry } from './transforms/transform-registry.js';
export type { TransformFunction, TransformContext } from './transforms/transform-function.js';

// Running on Kafka.
export { runTopology, selectStages } from './kafka/topology-runner.js';
export type { RunTopologyOptions, RunningTopology } from './kafka/topology-runner.js';
export type { StageExit, StageCounters } from './runtime/delivery/stage-engine.js';
export type { StageService } from './runtime/delivery/stage-service.js';
export type { Membership, GroupMember } from './runtime/delivery/ports.js';
export { createTopicSerdes } from './serde/serde-factory.js';
export type { TopicSerdes } from './serde/serde-factory.js';
export type { KnownAvroSchema } from './serde/known-avro-schema.js';
export { createHttpSchemaRegistryClient } from './serde/http-schema-registry.js';
export type { Serde, SchemaRegistryClient, SubjectVersion } from './serde/serde.js';
export { jsonLogger, silentLogger } from './telemetry/logger.js';
export type { Logger, LogLevel } from './telemetry/logger.js';
export { LineageHeader, lastModelHop, parseSourcePosition } from './runtime/lineage.js';
export { DeadLetterHeader } from './runtime/dead-letters/dead-letter.js';
export { partitionForKey } from './routing/partitioner.js';
export type { StageHandler, RecordResult } from './runtime/stage-handler.js';
export type { StageRecord, StageOutput, SourceRecord, Header, Headers, HeaderValue } from './runtime/record.js';
export { headerText, keyText } from './runtime/record.js';

// Inference and model colocation.
export { InferenceHandler } from './inference/inference-handler.js';
export type { InferenceRequest, InferenceResult, InferenceStats } from './inference/inference-handler.js';
export type { ModelRunner, RunResult } from './inference/model-runner.js';
export type { ModelMetadata, TensorData, TensorInfo } from './inference/tensor.js';
export { OnnxWorkerPool } from './inference/onnx/onnx-worker-pool.js';
export { colocatedPartition, topicPartitioner } from './routing/colocation.js';
export type { KeyPartitioner } from './routing/partitioner.js';
export type { StagePlugins } from './runtime/stage-handlers.js';
