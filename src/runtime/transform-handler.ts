import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';
import type { TransformStageSpec } from '../topology/spec.js';
import type { TransformFunction } from '../transforms/transform-function.js';
import type { StageOutput, StageRecord } from './record.js';
import type { RecordResult, StageHandler } from './stage-handler.js';

/** Runs a `transform` stage: the named function on every record, outputs to the stage's output topic. */
export function transformHandler(stage: TransformStageSpec, transform: TransformFunction): StageHandler {
  const options = Object.freeze({ ...stage.options });
  const apply = async (record: StageRecord): Promise<RecordResult> => {
    let result: unknown;
    try {
      result = await transform(record.value, {
        key: record.key,
        requestId: record.requestId,
        headers: record.headers,
        source: { topic: record.source.topic, partition: record.source.partition, offset: record.source.offset, timestamp: record.source.timestamp },
        options,
      });
    } catch (error) {
      // Retriable trouble pauses the stage; a configuration error (bad options) stops it: neither is the record's fault.
      if (isKascadeError(error) && (error.retriable || error.code === ErrorCode.ConfigInvalid)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      return { error: new KascadeError(ErrorCode.TransformFailed, `transform "${stage.function}" threw: ${reason}`, { cause: error }) };
    }
    const values = result === null || result === undefined ? [] : Array.isArray(result) ? (result as unknown[]) : [result];
    const outputs: StageOutput[] = values.map((value) => ({ topic: stage.output, key: record.key, value }));
    return { outputs };
  };
  return { process: (records) => Promise.all(records.map(apply)) };
}
