/**
 * Every error kascade raises on purpose is a KascadeError with a code from this closed list.
 * Callers branch on `code` (never on `name` or message text) and on `retriable`.
 */
export const ErrorCode = {
  /** A configuration value (environment variable, topology file) is missing or malformed. */
  ConfigInvalid: 'KASCADE_CONFIG_INVALID',
  /** No Kafka broker answered at the configured bootstrap addresses, or it refused the connection (TLS, SASL). */
  BrokerUnreachable: 'KASCADE_BROKER_UNREACHABLE',
  /** The schema registry did not answer, or answered 5xx / 401 / 403 (systemic: the stage pauses and retries). */
  RegistryUnreachable: 'KASCADE_REGISTRY_UNREACHABLE',
  /** A topology file is malformed or its graph is inconsistent; the message names the file and the path. */
  TopologyInvalid: 'KASCADE_TOPOLOGY_INVALID',
  /** A record's bytes cannot be decoded: not JSON, not Avro, bad magic byte, truncated. */
  DecodeFailed: 'KASCADE_DECODE_FAILED',
  /** A record names a schema id the registry does not know. */
  SchemaNotFound: 'KASCADE_SCHEMA_NOT_FOUND',
  /** An output value does not fit its topic's schema or format. */
  EncodeFailed: 'KASCADE_ENCODE_FAILED',
  /**
   * An output record is larger than its topic accepts (the topic's max.message.bytes, read at
   * start): the input that produced it is dead-lettered; the rest of its batch is written.
   */
  RecordTooLarge: 'KASCADE_RECORD_TOO_LARGE',
  /** A transform threw or returned something that is not a record. */
  TransformFailed: 'KASCADE_TRANSFORM_FAILED',
  /** A stage names a transform (or other plug-in) that nobody registered. */
  UnknownPlugin: 'KASCADE_UNKNOWN_PLUGIN',
  /** Producing to or committing in Kafka failed after retries (systemic). */
  KafkaSendFailed: 'KASCADE_KAFKA_SEND_FAILED',
  /** A model file cannot be read or is not a model onnxruntime can load. */
  ModelLoadFailed: 'KASCADE_MODEL_LOAD_FAILED',
  /** A model run failed (bad feeds, runtime error); retriable when its worker died. */
  InferenceFailed: 'KASCADE_INFERENCE_FAILED',
  /** A record does not fit the model's inputs (missing field, wrong length, not a number). */
  TensorMappingFailed: 'KASCADE_TENSOR_MAPPING_FAILED',
  /** A keyed inference stage has no model for a record's key and no default model. */
  UnknownModelKey: 'KASCADE_UNKNOWN_MODEL_KEY',
  /** The stage was stopped (SIGTERM, shutdown) while work was in flight; that work is not committed. */
  StageStopped: 'KASCADE_STAGE_STOPPED',
  /**
   * The stage made no progress on partitions with records waiting (or stayed out of its consumer
   * group) for too long, and a restart of its client did not help: it fails so that it is
   * restarted from outside. The message names the partitions and the seconds without progress.
   */
  StageStuck: 'KASCADE_STAGE_STUCK',
  /**
   * The Kafka client cannot decompress a fetched record batch (a codec or framing it does not
   * read): no record of it can be seen, so none can be dead-lettered. The stage fails naming the
   * partitions and the codec rather than fetch the same batch forever.
   */
  UnreadableBatch: 'KASCADE_UNREADABLE_BATCH',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface KascadeErrorOptions {
  /** True when retrying the same operation later may succeed (a service was down, not a bad input). */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class KascadeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: KascadeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KascadeError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export function isKascadeError(value: unknown, code?: ErrorCode): value is KascadeError {
  return value instanceof KascadeError && (code === undefined || value.code === code);
}
