import { ErrorCode, KascadeError } from '../errors.js';
import { armForBucket, armRanges, assignmentBucket, isMirrored, weightsVersion } from '../routing/assignment.js';
import { ExperimentHeader } from '../routing/experiment-headers.js';
import { parseRecordPath, textAtPath } from '../inference/record-path.js';
import { routerMetrics } from '../telemetry/stage-metrics.js';
import type { RouterStageSpec } from '../topology/spec.js';
import { keyText, type StageOutput, type StageRecord } from './record.js';
import type { RecordResult, StageHandler } from './stage-handler.js';

/**
 * A `router` stage: each record goes, unchanged, to the arm its unit is assigned to, with the
 * assignment in headers; a sticky share of units is also copied to the mirror topic. The
 * mirror is only another output topic: whatever consumes it runs in its own consumer group, so
 * it can neither reach nor slow the primary arms.
 */
export function routerHandler(stage: RouterStageSpec): StageHandler {
  const ranges = armRanges(stage.arms);
  const routed = routerMetrics(stage.name);
  const unitOf = unitReader(stage);
  const salt = stage.salt ?? stage.experiment;
  const version = weightsVersion(stage.arms);
  const counts = new Map<string, number>([...stage.arms.map((arm) => [arm.name, 0] as const), ...(stage.mirror === undefined ? [] : [[stage.mirror.name, 0] as const])]);

  const route = (record: StageRecord): RecordResult => {
    const unit = unitOf(record);
    if (unit === undefined) {
      const where = stage.unit === 'key' ? 'a key' : `a "${stage.unit.field}" field`;
      return { error: new KascadeError(ErrorCode.TransformFailed, `router ${stage.name}: the record has no unit id (${where})`) };
    }
    const bucket = assignmentBucket(salt, unit);
    const range = armForBucket(ranges, bucket);
    const headers = {
      [ExperimentHeader.experiment]: stage.experiment,
      [ExperimentHeader.arm]: range.arm.name,
      [ExperimentHeader.unit]: unit,
      [ExperimentHeader.bucket]: String(bucket),
      [ExperimentHeader.weightsVersion]: version,
      [ExperimentHeader.probability]: String(range.probability),
    };
    const outputs: StageOutput[] = [{ topic: range.arm.output, key: record.keyBytes, value: record.value, headers, unchanged: true }];
    counts.set(range.arm.name, (counts.get(range.arm.name) ?? 0) + 1);
    routed(range.arm.name);
    const mirror = stage.mirror;
    if (mirror !== undefined && isMirrored(salt, unit, mirror.percent)) {
      outputs.push({
        topic: mirror.output,
        key: record.keyBytes,
        value: record.value,
        headers: { ...headers, [ExperimentHeader.arm]: mirror.name, [ExperimentHeader.mirrorOf]: range.arm.name },
        unchanged: true,
      });
      counts.set(mirror.name, (counts.get(mirror.name) ?? 0) + 1);
      routed(mirror.name);
    }
    return { outputs };
  };

  return {
    process: (records) => Promise.resolve(records.map(route)),
    stats: () => Object.fromEntries([...counts].map(([arm, count]) => [`routed.${arm}`, count])),
  };
}

/** Reads the unit id of a record: its key's text (keyText), or a field (path split once, not per record). */
function unitReader(stage: RouterStageSpec): (record: StageRecord) => string | undefined {
  if (stage.unit === 'key') return keyText;
  const path = parseRecordPath(stage.unit.field);
  return (record) => textAtPath(record.value, path);
}
