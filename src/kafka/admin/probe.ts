// A default import: Node's named-export detection does not see kafkajs's error classes.
import kafkajs, { type Kafka } from 'kafkajs';
import type { ConnectionSettings } from '../../config/connection.js';
import { ErrorCode, KascadeError } from '../../errors.js';
import { createKafka, createProducer } from '../kafkajs/client.js';

/** True when a broker at the configured addresses answers a metadata request right now. */
export async function isKafkaAnswering(connection: ConnectionSettings, timeoutMs = 3000): Promise<boolean> {
  return (await kafkaProblem(connection, timeoutMs)) === undefined;
}

/**
 * Why no broker at the configured addresses answers a metadata request right now, in words
 * (nothing listens, the TLS handshake failed, authentication was refused); undefined when one does.
 */
export async function kafkaProblem(connection: ConnectionSettings, timeoutMs = 3000): Promise<string | undefined> {
  const admin = createKafka(connection, {
    clientId: 'kascade-probe',
    logLevel: 'nothing',
    connectionTimeoutMs: timeoutMs,
    retries: 0,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (error) {
    return describeConnectFailure(error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** kafkajs's reason for a failed connection, with what it means for the settings (names only, no secrets). */
export function describeConnectFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof kafkajs.KafkaJSSASLAuthenticationError || /SASL/.test(message)) {
    return `SASL authentication failed (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): ${message}`;
  }
  if (/certificate|SSL|TLS|handshake/i.test(message)) return `TLS handshake failed (check KAFKA_SECURITY_PROTOCOL and KAFKA_SSL_CA_LOCATION): ${message}`;
  // A TLS listener spoken to in plaintext (or the other way round) hangs up without a word.
  if (/Closed connection|ECONNRESET/i.test(message)) return `the broker closed the connection (does KAFKA_SECURITY_PROTOCOL match its listener at KAFKA_BROKERS?): ${message}`;
  return `no broker answered: ${message}`;
}

export interface ReadinessOptions {
  readonly timeoutMs: number;
  /** Called before every new attempt, e.g. to stop waiting when the broker process died. */
  readonly beforeAttempt?: () => void;
}

const PROBE_TOPIC = '__kascade_readiness';

/**
 * Waits until the cluster does what a stage needs: a topic can be created, an idempotent producer
 * can write to it (which needs the transaction coordinator and its state topic) and a consumer
 * can join a group (the group coordinator and the offsets topic). A broker that accepts
 * connections is not yet ready for any of these.
 */
export async function waitForKafkaReady(connection: ConnectionSettings, options: ReadinessOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    options.beforeAttempt?.();
    // A few retries: an idempotent producer refuses to start with none.
    const kafka = createKafka(connection, { clientId: 'kascade-readiness', logLevel: 'nothing', retries: 2 });
    try {
      await createProbeTopic(kafka);
      await produceProbeRecord(kafka);
      await joinProbeGroup(kafka, Math.max(1000, deadline - Date.now()));
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new KascadeError(
    ErrorCode.BrokerUnreachable,
    `Kafka at ${connection.brokers.join(',')} was not ready (create a topic, join a group) within ${options.timeoutMs} ms: ${describe(lastError)}`,
    { retriable: true, cause: lastError },
  );
}

async function createProbeTopic(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    // Returns false when the topic already exists, which is just as good.
    await admin.createTopics({ topics: [{ topic: PROBE_TOPIC, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function produceProbeRecord(kafka: Kafka): Promise<void> {
  const producer = createProducer(kafka);
  try {
    await producer.connect();
    await producer.send({ topic: PROBE_TOPIC, messages: [{ value: 'ready?' }] });
  } finally {
    await producer.disconnect();
  }
}

async function joinProbeGroup(kafka: Kafka, timeoutMs: number): Promise<void> {
  const consumer = kafka.consumer({ groupId: PROBE_TOPIC, retry: { retries: 0 } });
  try {
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no group join within ${timeoutMs} ms`)), timeoutMs);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        resolve();
      });
      consumer.on(consumer.events.CRASH, (event) => {
        clearTimeout(timer);
        reject(event.payload.error);
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [PROBE_TOPIC], fromBeginning: false });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    await joined;
  } finally {
    await consumer.disconnect();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
