import avro from 'avsc';
import { ErrorCode, KascadeError } from '../errors.js';
import { qualifyNamedTypes } from './avro-field-schema.js';
import { passthroughFieldName, predictionFieldProblems } from './prediction.js';
import type { OutputShape } from './tensor-mapping.js';

export { fieldSchemaOf } from './avro-field-schema.js';

/**
 * The Avro schema of a stage's prediction records (see prediction.ts for the shape): kascade's
 * own fields, the passthrough fields, then the prediction fields. Prediction fields are
 * `double` (scalars) or arrays of `double`: every model element type (float32, int64...) fits a
 * double, and one type keeps consumers simple. Avro has no fixed-length arrays; a known length is
 * written in the field's doc.
 *
 * A passthrough field keeps its schema from the input topic (`fieldSchemaOf`): the topic's
 * schema file, or the schema registered under `<input>-value` when the stage starts (an Avro
 * input whose schema cannot be known does not start: runtime/passthrough-input-schema.ts).
 * Otherwise (JSON input, or a field the input schema lacks) it is
 * `["null","string","double","boolean"]`: every branch has its own JS type, so the project's
 * Avro serde (avsc, `wrapUnions: 'auto'`) reads and writes it unwrapped: plain null, strings,
 * numbers and booleans round-trip as they are. Objects and arrays do not fit it; a record
 * carrying one is dead-lettered by the encoder with the field's name.
 */

/** The schema of a passthrough field whose input has no schema (JSON), or whose input schema lacks it. */
export const UNKNOWN_PASSTHROUGH_SCHEMA: readonly ['null', 'string', 'double', 'boolean'] = ['null', 'string', 'double', 'boolean'];

export interface PassthroughSchema {
  /** The dotted path in the input record (the prediction field is `passthroughFieldName` of it). */
  readonly field: string;
  /** The field's schema in the input topic's Avro schema, when there is one (`fieldSchemaOf`). */
  readonly schema?: avro.schema.AvroSchema | undefined;
}

export interface PredictionSchemaOptions {
  /** The record name, e.g. the stage name; made a valid Avro name (`score-champion` -> `score_champion`). */
  readonly name: string;
  /** Prediction field -> shape (`TensorMapping.outputShapes()`). */
  readonly outputs: Readonly<Record<string, OutputShape>>;
  readonly passthrough: readonly PassthroughSchema[];
  readonly doc?: string;
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The prediction record schema. The record has no namespace: passthrough types from the null
 * namespace can only be referred to from there. Throws ConfigInvalid when field names clash or
 * are not valid Avro names, or when the result is not valid Avro (e.g. a passthrough type has
 * the record's own name).
 */
export function predictionAvroSchema(options: PredictionSchemaOptions): avro.schema.RecordType {
  const name = avroName(options.name);
  const outputFields = Object.keys(options.outputs);
  const problems = predictionFieldProblems(
    outputFields,
    options.passthrough.map((passthrough) => passthrough.field),
  );
  for (const field of [...options.passthrough.map((passthrough) => passthroughFieldName(passthrough.field)), ...outputFields]) {
    if (!AVRO_NAME.test(field)) problems.push(`prediction field "${field}" is not a valid Avro name (letters, digits and _, not starting with a digit)`);
  }
  if (problems.length > 0) throw new KascadeError(ErrorCode.ConfigInvalid, `prediction schema ${name}: ${problems.join('; ')}`);

  const defined = new Set<string>();
  const fields: avro.schema.RecordType['fields'] = [
    { name: 'requestId', type: 'string', doc: 'The request id of the input record' },
    { name: 'modelId', type: 'string' },
    { name: 'modelVersion', type: 'string' },
    { name: 'inferenceMs', type: 'double', doc: 'Duration of the model run that served this record (its whole batch), milliseconds' },
  ];
  for (const passthrough of options.passthrough) {
    const type = passthrough.schema === undefined ? [...UNKNOWN_PASSTHROUGH_SCHEMA] : qualifyNamedTypes(passthrough.schema, defined);
    fields.push({ name: passthroughFieldName(passthrough.field), type, doc: `Copied from input field ${passthrough.field}` });
  }
  for (const [field, shape] of Object.entries(options.outputs)) {
    if (shape === 'scalar') {
      fields.push({ name: field, type: 'double' });
    } else {
      const doc = shape.vectorLength === undefined ? {} : { doc: `${shape.vectorLength} values per record` };
      fields.push({ name: field, type: { type: 'array', items: 'double' }, ...doc });
    }
  }
  const schema: avro.schema.RecordType = { type: 'record', name, ...(options.doc === undefined ? {} : { doc: options.doc }), fields };
  try {
    avro.Type.forSchema(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KascadeError(ErrorCode.ConfigInvalid, `prediction schema ${name} is not valid Avro: ${reason}`, { cause: error });
  }
  return schema;
}

/** `text` as an Avro name: other characters become `_`, a leading digit gets a `_` before it. */
export function avroName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_]/g, '_');
  if (name === '') return 'Prediction';
  return /^[0-9]/.test(name) ? `_${name}` : name;
}
