import type { BaseOptions, ConnectionOptions, SASLOptions } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import type { SaslSettings } from '../../config/kafka-security.js';
import { tlsOptions } from '../tls-options.js';

/**
 * The options every @platformatic/kafka client kascade makes starts from: the brokers, TLS and
 * SASL as configured (as security-options.ts does for kafkajs), and timeouts and retries that
 * fit a stage. The library's 1 s between retries makes a leader move cost seconds; kascade
 * retries sooner, a bounded number of times, and lets its own retry loop take over after.
 */
export interface PlatformaticClientOptions {
  readonly clientId: string;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Retries of a failed request before the error reaches kascade. */
  readonly retries?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_RETRIES = 5;
/** First retry after 100 ms, doubling up to 1 s: about 3 s over the default 5 retries. */
export const RETRY_BASE_DELAY_MS = 100;
export const RETRY_MAX_DELAY_MS = 1_000;

export function retryDelay(attempt: number): number {
  return Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
}

/** TLS and SASL towards the brokers, for a client or a bare connection pool. */
export function platformaticConnectionOptions(connection: ConnectionSettings, options: PlatformaticClientOptions): ConnectionOptions {
  const security = connection.kafkaSecurity;
  return {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(security?.tls === undefined ? {} : { tls: tlsOptions(security.tls) }),
    ...(security?.sasl === undefined ? {} : { sasl: saslOptions(security.sasl) }),
  };
}

export function platformaticBaseOptions(connection: ConnectionSettings, options: PlatformaticClientOptions): BaseOptions {
  return {
    ...platformaticConnectionOptions(connection, options),
    clientId: options.clientId,
    bootstrapBrokers: [...connection.brokers],
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_RETRIES,
    retryDelay: (_client, _operation, attempt) => retryDelay(attempt),
    // Topics are created by kascade's own admin steps with their partition counts, never by a produce.
    autocreateTopics: false,
  };
}

/** Fetch sizes and isolation of a stage's consumer. */
export interface StageFetchTuning {
  /** Bytes per partition in one fetch (the stage's `fetchBytesPerPartition`). */
  readonly fetchBytesPerPartition?: number | undefined;
  /** Bytes of one fetch response in all. */
  readonly fetchMaxBytes?: number | undefined;
  readonly maxWaitMs?: number | undefined;
  /** read_committed (default) or read_uncommitted, which also returns open and aborted transactions' records. */
  readonly isolation?: 'read_committed' | 'read_uncommitted' | undefined;
}

export const DEFAULT_FETCH_BYTES_PER_PARTITION = 262_144;
export const DEFAULT_FETCH_MAX_BYTES = 8 * 1024 * 1024;
/** Kafka's isolation levels: read_committed hides aborted and open transactions. */
export const READ_COMMITTED = 1;
const READ_UNCOMMITTED = 0;

export function stageFetchOptions(tuning: StageFetchTuning = {}): {
  autocommit: false;
  maxBytesPerPartition: number;
  maxBytes: number;
  maxWaitTime: number;
  minBytes: number;
  isolationLevel: number;
} {
  const perPartition = tuning.fetchBytesPerPartition ?? DEFAULT_FETCH_BYTES_PER_PARTITION;
  return {
    // The library's autocommit commits what was fetched, not what was processed: never.
    autocommit: false,
    maxBytesPerPartition: perPartition,
    maxBytes: Math.max(perPartition, tuning.fetchMaxBytes ?? DEFAULT_FETCH_MAX_BYTES),
    maxWaitTime: tuning.maxWaitMs ?? 500,
    minBytes: 1,
    isolationLevel: tuning.isolation === 'read_uncommitted' ? READ_UNCOMMITTED : READ_COMMITTED,
  };
}

function saslOptions(sasl: SaslSettings): SASLOptions {
  // kascade's mechanism names are Kafka's, as the library's.
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}
