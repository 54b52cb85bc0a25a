import type { KascadeError } from '../errors.js';
import type { StageOutput, StageRecord } from './record.js';

/** What became of one input record: its outputs (none filters it out), or why it failed. */
export type RecordResult = { readonly outputs: readonly StageOutput[] } | { readonly error: KascadeError };

/**
 * The work of one stage kind (transform, inference, router). The runtime decodes, calls
 * `process` with a batch, encodes and writes the results, and owns offsets and dead letters.
 *
 * `process` returns one result per record, in order. A record-level problem is a result with a
 * non-retriable KascadeError (the record is dead-lettered per the stage's policy); throwing a
 * retriable KascadeError means "the world is broken, try the batch again later" (the stage pauses).
 */
export interface StageHandler {
  start?(): Promise<void>;
  process(records: readonly StageRecord[]): Promise<readonly RecordResult[]>;
  /** Counters worth reporting (model loads and evictions, batch sizes). */
  stats?(): Readonly<Record<string, number | string>>;
  stop?(): Promise<void>;
}
