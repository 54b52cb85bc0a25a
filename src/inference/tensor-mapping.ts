import { ErrorCode, KascadeError } from '../errors.js';
import type { TensorDtype, TensorInputSpec, TensorOutputSpec } from '../topology/spec.js';
import { isRecordValue, parseRecordPath, valueAtPath, type RecordPath } from './record-path.js';
import type { ModelMetadata, TensorArray, TensorData, TensorInfo } from './tensor.js';
import { allocateTensorArray, describeFound, elementWriterFor, type ElementWriter } from './tensor-elements.js';

/**
 * A stage's tensor mapping (record fields -> model inputs, model outputs -> prediction fields),
 * checked once against the model's declared inputs and outputs, then applied per batch.
 *
 * Scope and rules:
 * - Inputs are rank 2, [batch, n]: one row per record. The first dimension is the batch; the
 *   second is the row width. Other ranks are refused at start (not supported yet).
 * - `fields` packs n numeric fields into a row; `field` takes an array field as the row. When the
 *   model leaves the row width open (symbolic or -1), a `fields` row is as wide as the list, and a
 *   `field` row as long as the most common array length in the batch (ties: the length seen
 *   first); records of another length are rejected, since one tensor has one width. Pad upstream
 *   when lengths vary.
 * - A model that fixes its batch dimension (exported without a dynamic batch axis) takes exactly
 *   that many rows: feeds are padded with zero rows, and larger batches must be split by the
 *   caller (`batchSize`).
 * - Element type 'unknown' (the model does not say) is not checked.
 * - An output is a scalar prediction field when it has one value per row ([batch] or
 *   [batch, 1]), else an array of the row's values (flattened, row-major, for higher ranks).
 */

/** How a prediction field looks: one number per record, or an array (of a fixed length when the model says). */
export type OutputShape = 'scalar' | { readonly vectorLength?: number };

/** A prediction field's value for one record. */
export type PredictionValue = number | number[];

/** The part of an inference stage spec that the mapping reads. */
export interface TensorMappingSpec {
  readonly inputs: Readonly<Record<string, TensorInputSpec>>;
  readonly outputs: Readonly<Record<string, TensorOutputSpec>>;
}

export interface FeedBatch {
  /** Model input name -> tensor, one row per record that fits (dims [rows, n]). */
  readonly feeds: Record<string, TensorData>;
  /** `rows[i]` is the index in `values` of feed row i. */
  readonly rows: number[];
  /** Index in `values` -> why that value could not be fed (TensorMappingFailed: a record-level error). */
  readonly errors: Map<number, KascadeError>;
}

export interface TensorMapping {
  /**
   * The batch size the model fixes, or undefined when its batch dimension is open. When set,
   * `buildFeeds` takes at most this many values and pads the feeds to exactly this many rows.
   */
  readonly batchSize: number | undefined;
  /** Feeds for one model run, one row per value that fits. Skip the run when `rows` is empty. */
  buildFeeds(values: readonly unknown[]): FeedBatch;
  /** The prediction fields of feed row `row`. Throws InferenceFailed when the model's outputs do not have that row. */
  readOutputs(outputs: Readonly<Record<string, TensorData>>, row: number): Record<string, PredictionValue>;
  /** Prediction field -> shape, for the output schema. */
  outputShapes(): Record<string, OutputShape>;
}

const FEEDABLE = ['float32', 'float64', 'int32', 'int64'] as const satisfies readonly TensorDtype[];

interface InputPlan {
  readonly name: string;
  readonly dtype: TensorDtype;
  readonly write: ElementWriter;
  /** `fields`: one per column. `field`: undefined (see `array`). */
  readonly columns: readonly FieldRef[] | undefined;
  /** `field`: the array field (unused for `fields`). */
  readonly array: FieldRef;
  /** Row width; undefined when it comes from the batch (an array field the model leaves open). */
  readonly width: number | undefined;
}

interface FieldRef {
  readonly path: RecordPath;
  /** The dotted name, for messages. */
  readonly label: string;
}

/** An input's tensor for one batch. */
interface Lane {
  readonly plan: InputPlan;
  readonly width: number;
  readonly data: TensorArray;
}

interface OutputPlan {
  readonly field: string;
  readonly output: string;
  readonly shape: OutputShape;
}

/**
 * Checks `stage`'s mapping against the model's metadata and prepares it. Throws ConfigInvalid
 * listing every disagreement, each naming the model (`modelLabel`, e.g. `ctr-logreg@3f2a`).
 */
export function compileTensorMapping(stage: TensorMappingSpec, metadata: ModelMetadata, modelLabel: string): TensorMapping {
  const model = `model ${modelLabel}`;
  const problems: string[] = [];

  const inputs: InputPlan[] = [];
  const fixedBatches: string[] = [];
  const batchSizes = new Set<number>();
  const modelInputs = new Map(metadata.inputs.map((info) => [info.name, info]));
  for (const [name, spec] of Object.entries(stage.inputs)) {
    const info = modelInputs.get(name);
    if (info === undefined) {
      problems.push(`${model} has no input "${name}" (inputs: ${namesOf(metadata.inputs)})`);
      continue;
    }
    const plan = planInput(model, name, spec, info, problems);
    if (plan === undefined) continue;
    inputs.push(plan);
    const batch = info.dims[0];
    if (typeof batch === 'number' && batch > 0) {
      fixedBatches.push(`${name}: ${batch}`);
      batchSizes.add(batch);
    }
  }
  for (const info of metadata.inputs) {
    if (!Object.hasOwn(stage.inputs, info.name)) problems.push(`${model}: input "${info.name}" is not mapped`);
  }
  if (batchSizes.size > 1) problems.push(`${model}: inputs fix different batch sizes (${fixedBatches.join(', ')})`);

  const outputs: OutputPlan[] = [];
  const modelOutputs = new Map(metadata.outputs.map((info) => [info.name, info]));
  for (const [field, spec] of Object.entries(stage.outputs)) {
    const info = modelOutputs.get(spec.output);
    if (info === undefined) {
      problems.push(`${model} has no output "${spec.output}" (outputs: ${namesOf(metadata.outputs)})`);
      continue;
    }
    const shape = planOutput(model, info, problems);
    if (shape !== undefined) outputs.push({ field, output: spec.output, shape });
  }

  if (problems.length > 0) throw new KascadeError(ErrorCode.ConfigInvalid, problems.join('; '));
  const [batchSize] = batchSizes;
  return new CompiledTensorMapping(modelLabel, inputs, outputs, batchSize);
}

function planInput(model: string, name: string, spec: TensorInputSpec, info: TensorInfo, problems: string[]): InputPlan | undefined {
  const described = `${model}: input "${name}" is ${info.type} ${formatDims(info.dims)}`;
  const problemsBefore = problems.length;
  if (info.type !== 'unknown') {
    if (!isFeedable(info.type)) problems.push(`${described}, which kascade cannot feed (supported: ${FEEDABLE.join(', ')})`);
    else if (info.type !== spec.dtype) problems.push(`${model}: input "${name}" has mapping dtype ${spec.dtype} but the model wants ${info.type}`);
  }
  if (info.dims.length !== 2) {
    problems.push(`${described}: only rank-2 inputs [batch, n] are supported for now`);
    return undefined;
  }
  const second = info.dims[1];
  // -1 and symbolic names mean "any": the width then comes from the mapping or the batch.
  const modelWidth = typeof second === 'number' && second >= 0 ? second : undefined;
  let plan: InputPlan;
  if ('fields' in spec) {
    if (modelWidth !== undefined && spec.fields.length !== modelWidth) {
      problems.push(`${described} but the mapping gives ${count(spec.fields.length, 'field')}`);
    }
    const columns = spec.fields.map((field) => ({ path: parseRecordPath(field), label: field }));
    plan = { name, dtype: spec.dtype, write: elementWriterFor(spec.dtype), columns, array: { path: [], label: '' }, width: spec.fields.length };
  } else {
    const array = { path: parseRecordPath(spec.field), label: spec.field };
    plan = { name, dtype: spec.dtype, write: elementWriterFor(spec.dtype), columns: undefined, array, width: modelWidth };
  }
  return problems.length === problemsBefore ? plan : undefined;
}

function planOutput(model: string, info: TensorInfo, problems: string[]): OutputShape | undefined {
  const described = `${model}: output "${info.name}" is ${info.type} ${formatDims(info.dims)}`;
  const problemsBefore = problems.length;
  if (info.type !== 'unknown' && !isFeedable(info.type)) {
    problems.push(`${described}, which kascade cannot turn into a prediction field (supported: ${FEEDABLE.join(', ')})`);
  }
  if (info.dims.length === 0) {
    problems.push(`${described}: it has no batch dimension, so it cannot be split into one value per record`);
  }
  if (problems.length > problemsBefore) return undefined;
  let perRow: number | undefined = 1;
  for (const dim of info.dims.slice(1)) {
    perRow = perRow !== undefined && typeof dim === 'number' && dim >= 0 ? perRow * dim : undefined;
  }
  if (perRow === 1) return 'scalar';
  return perRow === undefined ? {} : { vectorLength: perRow };
}

class CompiledTensorMapping implements TensorMapping {
  readonly #model: string;
  readonly #inputs: readonly InputPlan[];
  readonly #outputs: readonly OutputPlan[];
  readonly batchSize: number | undefined;

  constructor(modelLabel: string, inputs: readonly InputPlan[], outputs: readonly OutputPlan[], batchSize: number | undefined) {
    this.#model = `model ${modelLabel}`;
    this.#inputs = inputs;
    this.#outputs = outputs;
    this.batchSize = batchSize;
  }

  buildFeeds(values: readonly unknown[]): FeedBatch {
    const total = values.length;
    if (this.batchSize !== undefined && total > this.batchSize) {
      throw new KascadeError(
        ErrorCode.ConfigInvalid,
        `${this.#model} fixes its batch dimension at ${this.batchSize}: it takes at most ${count(this.batchSize, 'record')} per run, ${total} were given (split the batch)`,
      );
    }
    const slots = this.batchSize ?? total;
    // One allocation per input per batch, sized for every value; the slot of a row that fails is reused by the next.
    const lanes: Lane[] = this.#inputs.map((plan) => {
      const width = plan.width ?? commonArrayLength(values, plan.array.path);
      return { plan, width, data: allocateTensorArray(plan.dtype, slots * width) };
    });
    const rows: number[] = [];
    const errors = new Map<number, KascadeError>();

    for (let index = 0; index < total; index++) {
      const value = values[index];
      if (!isRecordValue(value)) {
        errors.set(index, this.#recordError([`the record value is ${describeFound(value)}, not an object`]));
        continue;
      }
      const row = rows.length;
      let problems: string[] | undefined;
      for (const lane of lanes) {
        problems = lane.plan.columns === undefined
          ? writeArrayRow(lane, row * lane.width, value, problems)
          : writeFieldsRow(lane, lane.plan.columns, row * lane.width, value, problems);
      }
      if (problems === undefined) rows.push(index);
      else errors.set(index, this.#recordError(problems));
    }

    const feeds: Record<string, TensorData> = {};
    const feedRows = this.batchSize ?? rows.length;
    for (const { plan, width, data: allocated } of lanes) {
      let data = allocated;
      if (this.batchSize !== undefined) {
        // Padding rows are zeros; the slots of rejected records may hold partial writes.
        if (data instanceof BigInt64Array) data.fill(0n, rows.length * width);
        else data.fill(0, rows.length * width);
      } else if (rows.length < total) {
        // Rare (some records failed): a tight copy, so the buffer can be transferred to a worker as it is.
        data = data.slice(0, rows.length * width);
      }
      feeds[plan.name] = { dtype: plan.dtype, data, dims: [feedRows, width] };
    }
    return { feeds, rows, errors };
  }

  readOutputs(outputs: Readonly<Record<string, TensorData>>, row: number): Record<string, PredictionValue> {
    const fields: Record<string, PredictionValue> = {};
    for (const plan of this.#outputs) {
      const tensor = outputs[plan.output];
      if (tensor === undefined) throw new KascadeError(ErrorCode.InferenceFailed, `${this.#model} returned no output "${plan.output}"`);
      const data = tensor.data;
      const tensorRows = tensor.dims[0] ?? 0;
      const perRow = tensorRows > 0 ? data.length / tensorRows : 0;
      if (!Number.isInteger(row) || row < 0 || row >= tensorRows || !Number.isInteger(perRow)) {
        throw new KascadeError(
          ErrorCode.InferenceFailed,
          `${this.#model}: output "${plan.output}" ${formatDims(tensor.dims)} (${data.length} values) has no row ${row}`,
        );
      }
      if (plan.shape === 'scalar') {
        if (perRow !== 1) {
          throw new KascadeError(ErrorCode.InferenceFailed, `${this.#model}: output "${plan.output}" has ${perRow} values per row, its metadata said 1`);
        }
        fields[plan.field] = Number(data[row]);
      } else {
        fields[plan.field] = rowValues(data, row * perRow, perRow);
      }
    }
    return fields;
  }

  outputShapes(): Record<string, OutputShape> {
    const shapes: Record<string, OutputShape> = {};
    for (const plan of this.#outputs) shapes[plan.field] = plan.shape;
    return shapes;
  }

  #recordError(problems: readonly string[]): KascadeError {
    return new KascadeError(ErrorCode.TensorMappingFailed, `${this.#model}: ${problems.join('; ')}`);
  }
}

/** Writes one record's `fields` row; returns the record's problems so far (allocated only on the first one). */
function writeFieldsRow(
  lane: Lane,
  columns: readonly FieldRef[],
  offset: number,
  value: Record<string, unknown>,
  problems: string[] | undefined,
): string[] | undefined {
  let index = offset;
  for (const column of columns) {
    const problem = lane.plan.write(lane.data, index++, valueAtPath(value, column.path));
    if (problem !== undefined) (problems ??= []).push(`field "${column.label}" ${problem}`);
  }
  return problems;
}

/** Writes one record's array-field row. */
function writeArrayRow(lane: Lane, offset: number, value: Record<string, unknown>, problems: string[] | undefined): string[] | undefined {
  const { plan, width, data } = lane;
  // The width is the model's, or the batch's when the model leaves it open.
  const fixed = plan.width !== undefined;
  const label = `field "${plan.array.label}"`;
  const list: unknown = valueAtPath(value, plan.array.path);
  if (!Array.isArray(list)) {
    const found = list === undefined ? 'is missing' : `is ${describeFound(list)}, not an array of numbers`;
    return [...(problems ?? []), `${label} ${found}`];
  }
  if (!fixed && list.length === 0) return [...(problems ?? []), `${label} is an empty array`];
  if (list.length !== width) {
    const wanted = fixed ? `the model wants ${width}` : `but most records of this batch have ${width}`;
    return [...(problems ?? []), `${label} has ${count(list.length, 'number')}, ${wanted}`];
  }
  for (let item = 0; item < width; item++) {
    const problem = plan.write(data, offset + item, list[item]);
    // The first bad item is enough to act on; a long array would make a long message.
    if (problem !== undefined) return [...(problems ?? []), `${label} item ${item} ${problem}`];
  }
  return problems;
}

/** The row width of an array field the model leaves open: the most common length in the batch (ties: seen first). */
function commonArrayLength(values: readonly unknown[], path: RecordPath): number {
  const seen = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const value of values) {
    const list = valueAtPath(value, path);
    if (!Array.isArray(list) || list.length === 0) continue;
    const times = (seen.get(list.length) ?? 0) + 1;
    seen.set(list.length, times);
    if (times > bestCount) {
      best = list.length;
      bestCount = times;
    }
  }
  return best;
}

function rowValues(data: TensorArray, start: number, length: number): number[] {
  const values = new Array<number>(length);
  for (let item = 0; item < length; item++) values[item] = Number(data[start + item]);
  return values;
}

function isFeedable(type: string): type is TensorDtype {
  return (FEEDABLE as readonly string[]).includes(type);
}

function namesOf(infos: readonly TensorInfo[]): string {
  return infos.length === 0 ? 'none' : infos.map((info) => info.name).join(', ');
}

/** `[batch, 32]`: symbolic dimensions by name, as tools like Netron show them. */
function formatDims(dims: readonly (number | string)[]): string {
  return `[${dims.join(', ')}]`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
