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
