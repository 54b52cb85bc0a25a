import { ErrorCode, isKascadeError } from '../errors.js';
import type { TransformStageSpec } from '../topology/spec.js';
import type { TransformContext, TransformFunction } from '../transforms/transform-function.js';
import { runTransformSteps, transformStep } from '../transforms/transform-steps.js';
import type { StageRecord } from './record.js';
import type { RecordResult, StageHandler } from './stage-handler.js';

/** Runs a `transform` stage: the named function on every record, outputs to the stage's output topic. */
export function transformHandler(stage: TransformStageSpec, transform: TransformFunction): StageHandler {
  const steps = [transformStep(stage.function, transform, stage.options)];
  const apply = async (record: StageRecord): Promise<RecordResult> => {
    try {
      const values = await runTransformSteps(steps, record.value, transformContext(record));
      return { outputs: values.map((value) => ({ topic: stage.output, key: record.keyBytes, value })) };
    } catch (error) {
      return recordFailure(error);
    }
  };
  return { process: (records) => Promise.all(records.map(apply)) };
}

/** What a transform sees of the record besides its value. */
export function transformContext(record: StageRecord): Omit<TransformContext, 'options'> {
  const { topic, partition, offset, timestamp } = record.source;
  return { key: record.key, keyBytes: record.keyBytes, requestId: record.requestId, headers: record.headers, source: { topic, partition, offset, timestamp } };
}

/** The record's own failure becomes its result; anything systemic or a configuration error propagates. */
export function recordFailure(error: unknown): RecordResult {
  if (isKascadeError(error) && error.code === ErrorCode.TransformFailed) return { error };
  throw error;
}
