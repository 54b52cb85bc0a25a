import { stageMetrics, type StageMetrics } from '../../telemetry/stage-metrics.js';
import type { BatchOutcome } from '../stage-pipeline.js';

export interface StageCounters {
  consumed: number;
  deadLettered: number;
  skipped: number;
  written: number;
}

/** What a stage instance consumed, wrote, dead-lettered and skipped: counters for its exit log, and its metrics. */
export class StageTally {
  readonly counters: StageCounters = { consumed: 0, deadLettered: 0, skipped: 0, written: 0 };
  readonly #metrics: StageMetrics;

  constructor(stage: string) {
    this.#metrics = stageMetrics(stage);
  }

  /** A chunk's outcome; `processed` input records of `topic` (0 for records a holder let go of later). */
  count(topic: string, outcome: BatchOutcome, processed: number): void {
    const written = outcome.outgoing.length - outcome.deadLettered;
    this.counters.consumed += processed;
    this.counters.deadLettered += outcome.deadLettered;
    this.counters.skipped += outcome.skipped;
    this.counters.written += written;
    if (processed > 0) this.#metrics.consumed(topic, processed);
    this.#metrics.written(written);
    if (outcome.deadLettered > 0) this.#metrics.deadLettered(topic, outcome.deadLettered);
    if (processed > 0) this.#metrics.batch(processed);
  }
}
