import { ErrorCode, KascadeError } from '../errors.js';
import { parseRecordPath, valueAtPath, type RecordPath } from './record-path.js';
import type { PredictionValue } from './tensor-mapping.js';

/**
 * Beam's PredictionResult(example, inference, model_id) as a Kafka record.
 *
 * The record is flat: `requestId`, `modelId`, `modelVersion`, `inferenceMs`, then the passthrough
 * fields, then the prediction fields, all at the top level:
 *
 *   { requestId: 'r-1', modelId: 'ctr-logreg', modelVersion: '3f2a...', inferenceMs: 1.2,
 *     user_id: 'u7', ad_id: 'a3', probability: 0.031, logits: [-3.4, 0.2] }
 *
 * Why flat and not `{ outputs: {...} }`: the consumers are joins and sinks (the CTR join keys on
 * passthrough ids, Kafka Connect and SQL engines map top-level fields to columns) and the next
 * model of a cascade, whose `fields:` then name prediction fields directly. A flat Avro record is
 * also the simplest schema to evolve. The price, name clashes between passthrough fields, outputs
 * and kascade's own fields, is paid at start: `compilePredictionLayout` refuses them. Passthrough
 * paths are flattened with `_` (`user.id` -> `user_id`) so every field name stays a valid Avro
 * name and the shape does not depend on the output topic's format.
 */

/** The fields kascade writes on every prediction, in record order. */
export const PREDICTION_META_FIELDS = ['requestId', 'modelId', 'modelVersion', 'inferenceMs'] as const;

export interface PredictionMeta {
  /** The input's request id (see lineage): joins the prediction with its request and later outcomes. */
  readonly requestId: string;
  readonly modelId: string;
  /** The declared version or the hash of the model file: which weights produced the prediction. */
  readonly modelVersion: string;
  /** How long the model run that served this record took (the whole batch), milliseconds. */
  readonly inferenceMs: number;
}

/** A prediction record: the meta fields plus passthrough fields (any value) and prediction fields (PredictionValue). */
export type Prediction = PredictionMeta & { readonly [field: string]: unknown };

export interface PassthroughField {
  /** The dotted path in the input record. */
  readonly path: string;
  /** The prediction field it is copied to. */
  readonly field: string;
  readonly segments: RecordPath;
}

/** Which fields a stage's predictions carry, checked once at start. */
export interface PredictionLayout {
  readonly passthrough: readonly PassthroughField[];
  /** Prediction field names (the stage's `outputs` keys). */
  readonly outputs: readonly string[];
}

export interface PredictionParts extends PredictionMeta {
  /** The input record's decoded value, where passthrough fields are read. */
  readonly value: unknown;
  /** The record's prediction fields (`TensorMapping.readOutputs`). */
  readonly outputs: Readonly<Record<string, PredictionValue>>;
}

/** The prediction field a passthrough path is copied to: `user.id` -> `user_id`. */
export function passthroughFieldName(path: string): string {
  return path.replaceAll('.', '_');
}

/**
 * Name clashes between kascade's own fields, passthrough fields and prediction fields (empty
 * when there are none). `outputs` are the prediction field names.
 */
export function predictionFieldProblems(outputs: readonly string[], passthrough: readonly string[]): string[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  const reserved = new Set<string>(PREDICTION_META_FIELDS);
  const claim = (field: string, source: string): void => {
    const owner = owners.get(field);
    if (reserved.has(field)) {
      problems.push(`prediction field "${field}" (from ${source}) is one kascade writes itself (${PREDICTION_META_FIELDS.join(', ')})`);
    } else if (owner !== undefined) {
      problems.push(`prediction field "${field}" comes from both ${owner} and ${source}`);
    } else {
      owners.set(field, source);
    }
  };
  for (const path of passthrough) claim(passthroughFieldName(path), `passthrough "${path}"`);
  for (const field of outputs) claim(field, 'outputs');
  return problems;
}

/** The layout of a stage's predictions. Throws ConfigInvalid listing every name clash. */
export function compilePredictionLayout(options: {
  readonly stage: string;
  readonly outputs: readonly string[];
  readonly passthrough: readonly string[];
}): PredictionLayout {
  const problems = predictionFieldProblems(options.outputs, options.passthrough);
  if (problems.length > 0) throw new KascadeError(ErrorCode.ConfigInvalid, `stage ${options.stage}: ${problems.join('; ')}`);
  return {
    passthrough: options.passthrough.map((path) => ({ path, field: passthroughFieldName(path), segments: parseRecordPath(path) })),
    outputs: [...options.outputs],
  };
}

/**
 * One prediction record. A passthrough field the input lacks is null (so the record says it was
 * missing, and a nullable Avro field accepts it). Values are copied by reference, not cloned.
 */
export function buildPrediction(layout: PredictionLayout, parts: PredictionParts): Prediction {
  const prediction: Record<string, unknown> = {
    requestId: parts.requestId,
    modelId: parts.modelId,
    modelVersion: parts.modelVersion,
    inferenceMs: parts.inferenceMs,
  };
  for (const passthrough of layout.passthrough) prediction[passthrough.field] = valueAtPath(parts.value, passthrough.segments) ?? null;
  for (const field of layout.outputs) {
    const value = parts.outputs[field];
    if (value === undefined) throw new KascadeError(ErrorCode.InferenceFailed, `model ${parts.modelId} gave no value for prediction field "${field}"`);
    prediction[field] = value;
  }
  return prediction as Prediction;
}
