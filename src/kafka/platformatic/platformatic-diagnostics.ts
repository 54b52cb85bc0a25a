import {
  consumerFetchesChannel,
  consumerGroupChannel,
  consumerHeartbeatChannel,
  producerSendsChannel,
  producerTransactionsChannel,
  type ClientDiagnosticEvent,
  type TracingChannelWithName,
} from '@platformatic/kafka';
import { kafkaClientMetrics, type KafkaClientOperation } from '../../telemetry/stage-metrics.js';

/** A traced call's context: its client, its `operation` name, and `error` once it failed. */
type ClientEvent = ClientDiagnosticEvent;

/**
 * The client's operations kascade watches, through the library's diagnostics channels: group
 * membership (join, sync, leave, coordinator lookups), heartbeats, fetches, produce requests and
 * transactions. Each is a request or a few, never one per record, so watching them costs nothing
 * measurable. (`consumer:receives`, one event per record, is left alone.)
 */
const WATCHED: readonly TracingChannelWithName<ClientEvent>[] = [consumerGroupChannel, consumerHeartbeatChannel, consumerFetchesChannel, producerSendsChannel, producerTransactionsChannel];

let observers: Array<(operation: KafkaClientOperation) => void> = [];
const started = new WeakMap<object, number>();

const handlers = {
  start(event: ClientEvent): void {
    started.set(event, performance.now());
  },
  asyncStart(event: ClientEvent): void {
    const since = started.get(event);
    if (since === undefined) return;
    started.delete(event);
    const operation: KafkaClientOperation = {
      client: event.client.clientId,
      operation: typeof event['operation'] === 'string' ? event['operation'] : 'unknown',
      milliseconds: performance.now() - since,
      failed: event['error'] !== undefined,
    };
    for (const observe of observers) observe(operation);
  },
  // The callback's arrival (asyncStart) ends an operation; a failure is on its context by then.
  end(): void {},
  asyncEnd(): void {},
  error(): void {},
};

/**
 * Tells `observe` of every watched operation of every @platformatic/kafka client in the process
 * (the channels are process-wide), with its client id, duration and outcome, until the returned
 * function is called.
 */
export function observeClientOperations(observe: (operation: KafkaClientOperation) => void): () => void {
  if (observers.length === 0) for (const channel of WATCHED) channel.subscribe(handlers);
  observers = [...observers, observe];
  return () => {
    const before = observers.length;
    observers = observers.filter((observer) => observer !== observe);
    if (before > 0 && observers.length === 0) for (const channel of WATCHED) channel.unsubscribe(handlers);
  };
}

let recordingMetrics = false;

/**
 * Feeds `kascade_kafka_client_duration` from every @platformatic/kafka client of the process.
 * The channels are process-wide, so one observer serves every stage; later calls do nothing.
 */
export function recordClientMetrics(): void {
  if (recordingMetrics) return;
  recordingMetrics = true;
  observeClientOperations(kafkaClientMetrics());
}
