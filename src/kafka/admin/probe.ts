import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionSettings } from '../../config/connection.js';
import { ErrorCode, KascadeError } from '../../errors.js';
import { joinGroupOnce } from '../platformatic/group-join-probe.js';
import { rawProducer } from '../platformatic/platformatic-output-sink.js';
import { ClusterAdmin } from '../platformatic/cluster-admin.js';
import { describeConnectFailure } from './connection-error.js';

/** True when a broker at the configured addresses answers a metadata request right now. */
export async function isKafkaAnswering(connection: ConnectionSettings, timeoutMs = 3000): Promise<boolean> {
  return (await kafkaProblem(connection, timeoutMs)) === undefined;
}

/**
 * Why no broker at the configured addresses answers a metadata request right now, in words
 * (nothing listens, the TLS handshake failed, authentication was refused); undefined when one does.
 */
export async function kafkaProblem(connection: ConnectionSettings, timeoutMs = 3000): Promise<string | undefined> {
  try {
    await ClusterAdmin.use({ connection, clientId: 'kascade-probe', timeoutMs, retries: 0 }, (admin) => admin.topicNames());
    return undefined;
  } catch (error) {
    return describeConnectFailure(error instanceof KascadeError && error.cause !== undefined ? error.cause : error);
  }
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
    try {
      await createProbeTopic(connection);
      await produceProbeRecord(connection);
      await joinGroupOnce(connection, PROBE_TOPIC, Math.max(1000, deadline - Date.now()));
      return;
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw new KascadeError(
    ErrorCode.BrokerUnreachable,
    `Kafka at ${connection.brokers.join(',')} was not ready (create a topic, join a group) within ${options.timeoutMs} ms: ${describe(lastError)}`,
    { retriable: true, cause: lastError },
  );
}

async function createProbeTopic(connection: ConnectionSettings): Promise<void> {
  await ClusterAdmin.use({ connection, clientId: 'kascade-readiness', retries: 2 }, async (admin) => {
    if (!(await admin.topicNames()).has(PROBE_TOPIC)) await admin.createTopics([{ topic: PROBE_TOPIC, partitions: 1 }]);
  });
}

async function produceProbeRecord(connection: ConnectionSettings): Promise<void> {
  const producer = rawProducer({ connection, clientId: 'kascade-readiness' });
  try {
    await producer.send({ messages: [{ topic: PROBE_TOPIC, key: null, value: Buffer.from('ready?') }] });
  } finally {
    await producer.close().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
