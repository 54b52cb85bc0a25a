import { Kafka, logLevel as KafkaLogLevel, type ICustomPartitioner, type KafkaConfig, type Producer, Partitioners } from 'kafkajs';
import type { ConnectionSettings } from '../../config/connection.js';
import { kafkaSecurityOptions } from './security-options.js';
import type { KeyPartitioner } from '../../routing/partitioner.js';

export type ClientLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaClientOptions {
  readonly clientId: string;
  /** kafkajs's own log level; its rebalance chatter at `info` is noise for most users. */
  readonly logLevel?: ClientLogLevel;
  /** Per-connection timeout; kafkajs's 1 s default is too short for a busy CI machine. */
  readonly connectionTimeoutMs?: number;
  /** Retries of a failed request before giving up; 0 for a quick probe. */
  readonly retries?: number;
}

const LOG_LEVELS: Readonly<Record<ClientLogLevel, KafkaLogLevel>> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** Every kafkajs client kascade makes connects this way: the brokers, then TLS and SASL as configured. */
export function kafkaClientConfig(connection: ConnectionSettings, options: KafkaClientOptions): KafkaConfig {
  return {
    clientId: options.clientId,
    brokers: [...connection.brokers],
    ...kafkaSecurityOptions(connection.kafkaSecurity),
    logLevel: LOG_LEVELS[options.logLevel ?? 'warn'],
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    ...(options.retries === undefined ? {} : { retry: { retries: options.retries } }),
  };
}

export function createKafka(connection: ConnectionSettings, options: KafkaClientOptions): Kafka {
  return new Kafka(kafkaClientConfig(connection, options));
}

export type { KeyPartitioner } from '../../routing/partitioner.js';

export interface ProducerOptions {
  /** Set to produce inside Kafka transactions (exactly-once); omit for idempotent at-least-once. */
  readonly transactionalId?: string;
  /** Placement of keyed records (e.g. model colocation); murmur2 of the key, as the Java client, when absent. */
  readonly partitioner?: KeyPartitioner;
}

/** A kafkajs partitioner from a KeyPartitioner; keyless records keep kafkajs's default placement. */
export function kafkaPartitioner(place: KeyPartitioner): ICustomPartitioner {
  return () => {
    const fallback = Partitioners.DefaultPartitioner();
    return (args) => {
      const { topic, partitionMetadata, message } = args;
      if (message.key === null || message.key === undefined) return fallback(args);
      return place(topic, Buffer.isBuffer(message.key) ? message.key : Buffer.from(message.key, 'utf8'), partitionMetadata.length);
    };
  };
}

/**
 * An idempotent producer with acks=all (kafkajs sends acks=-1 when idempotent), partitioning
 * keys with murmur2 like the Java client so keyed records land where Kafka Streams or Java
 * producers would put them.
 */
export function createProducer(kafka: Kafka, options: ProducerOptions = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: options.partitioner === undefined ? Partitioners.DefaultPartitioner : kafkaPartitioner(options.partitioner),
    ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
  });
}
