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
  /** Present on handlers that hold records back (see RecordHolder). */
  readonly holder?: RecordHolder;
}

/** Outputs a holder writes on its own schedule (a timeout), with the record their lineage comes from. */
export interface HeldOutputs {
  readonly record: StageRecord;
  readonly outputs: readonly StageOutput[];
}

/**
 * A stateful handler (collect) keeps some records back until others arrive. Its state lives
 * in memory and is rebuilt by re-reading: the runtime never commits an input partition past
 * `heldFrom`, so whatever is held is read again after a crash or rebalance.
 */
export interface RecordHolder {
  /** How often `expire` is worth calling, in milliseconds. */
  readonly expiryCheckMs: number;
  /** The offset of the first record of this partition still held, if any. */
  heldFrom(topic: string, partition: number): string | undefined;
  /** Partitions with held records, as `topic/partition` keys. */
  heldPartitions(): readonly { readonly topic: string; readonly partition: number }[];
  /** Outputs due now for this partition (held too long); they are no longer held afterwards. */
  expire(topic: string, partition: number): readonly HeldOutputs[];
  /** Marks the partition's state before a chunk; calling the result puts it back (the chunk was not written). */
  checkpoint(topic: string, partition: number): () => void;
  /** Forgets what it holds of a partition given up: its next owner reads it again from the committed offset. */
  release(topic: string, partition: number): void;
}
