import { ErrorCode, KascadeError } from '../errors.js';
import type { TransformStageSpec } from '../topology/spec.js';
import { parseTransformOptions } from '../transforms/builtins/builtin-support.js';
import { CollectOptions, Collector } from '../transforms/builtins/collect.js';
import type { Clock } from './clock.js';
import type { StageRecord } from './record.js';
import type { HeldOutputs, RecordHolder, RecordResult, StageHandler } from './stage-handler.js';

/** The transform name that runs as this stateful handler rather than a function per record. */
export const COLLECT = 'collect';

/** Runs a `transform` stage whose function is `collect`: one Collector per input partition. */
export function collectHandler(stage: TransformStageSpec, clock: Clock): StageHandler {
  const options = parseTransformOptions(COLLECT, CollectOptions, stage.options ?? {});
  const collectors = new Map<string, { topic: string; partition: number; collector: Collector<StageRecord> }>();
  const stats = { collected: 0, expired: 0, late: 0 };
  const collectorOf = (topic: string, partition: number): Collector<StageRecord> => {
    const key = `${topic}/${partition}`;
    let entry = collectors.get(key);
    if (entry === undefined) {
      entry = { topic, partition, collector: new Collector<StageRecord>(options) };
      collectors.set(key, entry);
    }
    return entry.collector;
  };
  const output = (record: StageRecord, value: unknown): HeldOutputs => ({ record, outputs: [{ topic: stage.output, key: record.keyBytes, value }] });

  const process = (record: StageRecord): RecordResult => {
    const { topic, partition, offset } = record.source;
    try {
      const step = collectorOf(topic, partition).add(record.value, record.requestId, BigInt(offset), clock.now().getTime(), record);
      if (step.kind === 'late') stats.late++;
      if (step.kind !== 'complete') return { outputs: [] };
      stats.collected++;
      return output(record, step.value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { error: new KascadeError(ErrorCode.TransformFailed, `transform "${COLLECT}": ${reason}`, { cause: error }) };
    }
  };

  const holder: RecordHolder = {
    // Often enough that a timed-out request is written within about a tenth of its timeout.
    expiryCheckMs: Math.max(50, Math.min(1000, Math.floor(options.timeoutMs / 10))),
    heldFrom: (topic, partition) => collectors.get(`${topic}/${partition}`)?.collector.firstHeldOffset()?.toString(),
    heldPartitions: () => [...collectors.values()].filter((entry) => entry.collector.held > 0),
    expire: (topic, partition) => {
      const expired = collectors.get(`${topic}/${partition}`)?.collector.expire(clock.now().getTime()) ?? [];
      stats.expired += expired.length;
      return expired.map((request) => output(request.origin, request.value));
    },
    checkpoint: (topic, partition) => collectorOf(topic, partition).checkpoint(),
    release: (topic, partition) => {
      collectors.delete(`${topic}/${partition}`);
    },
  };

  return {
    process: (records) => Promise.resolve(records.map(process)),
    stats: () => ({ ...stats, held: [...collectors.values()].reduce((sum, entry) => sum + entry.collector.held, 0) }),
    holder,
  };
}
