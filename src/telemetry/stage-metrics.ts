import { metrics, type Counter, type Histogram } from '@opentelemetry/api';

/**
 * What a stage counts, through the OpenTelemetry API only: with no SDK registered (a library
 * user who set none up) every call is a no-op; `kascade run` registers one and serves it at
 * /metrics. Attribute names: `stage`, and `topic` for the input topic.
 */
export interface StageMetrics {
  consumed(topic: string, count: number): void;
  written(count: number): void;
  deadLettered(topic: string, count: number): void;
  batch(size: number): void;
}

/** Per-model inference latency, one observation per record served (its batch's model run). */
export function inferenceMetrics(stage: string): (model: string, milliseconds: number) => void {
  const duration = metrics.getMeter('kascade').createHistogram('kascade.inference.duration', {
    description: 'Model run time of the batch that served each record, milliseconds',
    unit: 'ms',
    advice: { explicitBucketBoundaries: [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000] },
  });
  return (model, milliseconds) => duration.record(milliseconds, { stage, model });
}

/** Records a router sent to each arm (and to its mirror). */
export function routerMetrics(stage: string): (arm: string) => void {
  const routed = metrics.getMeter('kascade').createCounter('kascade.router.records', { description: 'Records a router sent to each arm' });
  return (arm) => routed.add(1, { stage, arm });
}

export function stageMetrics(stage: string): StageMetrics {
  const meter = metrics.getMeter('kascade');
  const recordsIn: Counter = meter.createCounter('kascade.records.in', { description: 'Records a stage consumed, per input topic' });
  const recordsOut: Counter = meter.createCounter('kascade.records.out', { description: 'Records a stage wrote to its outputs (dead letters not included)' });
  const deadLetters: Counter = meter.createCounter('kascade.records.dead_lettered', { description: 'Records a stage sent to its dead-letter topic, per input topic' });
  const batchSize: Histogram = meter.createHistogram('kascade.batch.size', {
    description: 'Records per processed chunk',
    advice: { explicitBucketBoundaries: [1, 10, 50, 100, 250, 500, 1000] },
  });
  return {
    consumed: (topic, count) => recordsIn.add(count, { stage, topic }),
    written: (count) => recordsOut.add(count, { stage }),
    deadLettered: (topic, count) => deadLetters.add(count, { stage, topic }),
    batch: (size) => batchSize.record(size, { stage }),
  };
}

/** What a model cache counts (the inference layer's ModelCacheEvent; telemetry/ imports no inference code). */
export type ModelEvent = 'loads' | 'evictions' | 'hits' | 'reloads' | 'reloadFailures';

const MODEL_COUNTERS: Readonly<Record<ModelEvent, { readonly name: string; readonly description: string }>> = {
  loads: { name: 'kascade.model.loads', description: 'Model loads because a record needed a model that was not loaded' },
  evictions: { name: 'kascade.model.evictions', description: 'Loaded models released to make room (least recently used first)' },
  hits: { name: 'kascade.model.hits', description: 'Batches served by a model that was already loaded' },
  reloads: { name: 'kascade.model.reloads', description: 'Hot reloads: new model versions switched in' },
  reloadFailures: { name: 'kascade.model.reload_failures', description: 'Hot reloads that failed (the loaded version kept serving)' },
};

/** Model loads, evictions, cache hits and reloads per stage and model. */
export function modelMetrics(stage: string): (event: ModelEvent, model: string) => void {
  const meter = metrics.getMeter('kascade');
  const counters = Object.fromEntries(
    Object.entries(MODEL_COUNTERS).map(([event, { name, description }]) => [event, meter.createCounter(name, { description })]),
  ) as Record<ModelEvent, Counter>;
  return (event, model) => counters[event].add(1, { stage, model });
}

/**
 * End-to-end latency at a stage: now minus the time the request entered the pipeline (the first
 * record's Kafka timestamp, carried in a header from hop to hop), in milliseconds.
 */
export function endToEndMetrics(stage: string): (milliseconds: number) => void {
  const latency = metrics.getMeter('kascade').createHistogram('kascade.end_to_end.latency', {
    description: 'Time since the request entered the pipeline, at each stage that processes it, milliseconds',
    unit: 'ms',
    advice: { explicitBucketBoundaries: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] },
  });
  return (milliseconds) => latency.record(milliseconds, { stage });
}

/** One request-level operation of the Kafka client (a group join, a heartbeat, a fetch, a produce request). */
export interface KafkaClientOperation {
  /** The client's id: `kascade.<stage>` for a stage's consumer and producer. */
  readonly client: string;
  readonly operation: string;
  readonly milliseconds: number;
  readonly failed: boolean;
}

/** Kafka client operations' durations, per client, operation and outcome (`ok` or `error`). */
export function kafkaClientMetrics(): (operation: KafkaClientOperation) => void {
  const duration = metrics.getMeter('kascade').createHistogram('kascade.kafka.client.duration', {
    description: 'Duration of the Kafka client operations (group membership, heartbeats, fetches, produce requests, transactions), milliseconds',
    unit: 'ms',
    advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 30000] },
  });
  return ({ client, operation, milliseconds, failed }) => duration.record(milliseconds, { client, operation, outcome: failed ? 'error' : 'ok' });
}
