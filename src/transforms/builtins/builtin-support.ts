import path from 'node:path';
import { z } from 'zod';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { TransformContext, TransformFunction } from '../transform-function.js';

/** A record as the built-ins see it: a plain object they read but never write. */
export type RecordValue = Readonly<Record<string, unknown>>;

/** The per-stage function a built-in compiles from its validated options. */
export type CompiledTransform = (record: RecordValue, context: TransformContext) => unknown;

/** A field name in options: top-level, non-empty. */
export const FieldName = z.string().min(1, 'must not be empty');

/**
 * Wraps a built-in so its options are validated (and anything derived from them built) once per
 * options object: the runtime hands the same frozen object to every record of a stage, so
 * identity is a safe cache key and the per-record cost is one WeakMap lookup.
 */
export function compiledTransform<S extends z.ZodType>(
  name: string,
  schema: S,
  compile: (options: z.output<S>) => CompiledTransform,
): TransformFunction {
  const cache = new WeakMap<object, CompiledTransform | KascadeError>();
  return (value, context) => {
    const options: unknown = context.options;
    const cacheable = typeof options === 'object' && options !== null;
    let compiled = cacheable ? cache.get(options) : undefined;
    if (compiled === undefined) {
      compiled = compileOptions(name, schema, options, compile);
      // Failures are cached too: bad options stay bad, and a missing table is not re-read per record.
      if (cacheable) cache.set(options, compiled);
    }
    if (compiled instanceof KascadeError) throw compiled;
    return compiled(asRecord(value), context);
  };
}

function compileOptions<S extends z.ZodType>(
  name: string,
  schema: S,
  options: unknown,
  compile: (options: z.output<S>) => CompiledTransform,
): CompiledTransform | KascadeError {
  const parsed = validateOptions(name, schema, options);
  if (parsed instanceof KascadeError) return parsed;
  try {
    return compile(parsed);
  } catch (error) {
    if (error instanceof KascadeError) return error;
    throw error;
  }
}

/** Validated options of a built-in that is not a plain function (collect); throws the same ConfigInvalid error as the others. */
export function parseTransformOptions<S extends z.ZodType>(name: string, schema: S, options: unknown): z.output<S> {
  const parsed = validateOptions(name, schema, options);
  if (parsed instanceof KascadeError) throw parsed;
  return parsed;
}

function validateOptions<S extends z.ZodType>(name: string, schema: S, options: unknown): z.output<S> | KascadeError {
  const parsed = schema.safeParse(options, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${formatPath(['options', ...issue.path])}: ${issueMessage(issue)}`);
  return new KascadeError(ErrorCode.ConfigInvalid, `transform "${name}": ${problems.join('; ')}`);
}

/** A ConfigInvalid error in the same shape as the schema's: `transform "x": options.y: message`. */
export function optionsError(name: string, optionPath: readonly PropertyKey[], message: string, cause?: unknown): KascadeError {
  return new KascadeError(ErrorCode.ConfigInvalid, `transform "${name}": ${formatPath(['options', ...optionPath])}: ${message}`, { cause });
}

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      // zod reports 1.5 for an int and Infinity/NaN for a number as type errors; say what is meant.
      if (typeof issue.input === 'number' && issue.expected === 'int') return 'must be an integer';
      if (typeof issue.input === 'number' && issue.expected === 'number') return 'must be a finite number';
      return `expected ${issue.expected}, got ${describe(issue.input)}`;
    case 'invalid_key':
      return `key ${issue.issues.map(issueMessage).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    default:
      return issue.message;
  }
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** `null`, `array` or the typeof: what a user needs to see what went wrong, without the value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function asRecord(value: unknown): RecordValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`record is not an object (got ${describe(value)})`);
  return value as RecordValue;
}

/** An own field; inherited ones (`constructor`, `__proto__`) are never record data. */
export function requireField(record: RecordValue, name: string): unknown {
  if (!Object.hasOwn(record, name)) throw new Error(`field "${name}" is missing`);
  return record[name];
}

export function numberField(record: RecordValue, name: string): number {
  const value = requireField(record, name);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`field "${name}" is not a finite number (got ${describe(value)})`);
  return value;
}

export function arrayField(record: RecordValue, name: string): readonly unknown[] {
  const value = requireField(record, name);
  if (!Array.isArray(value)) throw new Error(`field "${name}" is not an array (got ${describe(value)})`);
  return value;
}

export function numberArrayField(record: RecordValue, name: string): readonly number[] {
  const values = arrayField(record, name);
  values.forEach((value, index) => {
    // NaN and Infinity would silently poison softmax and comparisons.
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`field "${name}[${index}]" is not a finite number (got ${describe(value)})`);
  });
  return values as readonly number[];
}

/** A model output with one entry per label/id must match the option's length exactly. */
export function checkLength(name: string, values: readonly unknown[], optionName: string, optionValues: readonly unknown[] | undefined): void {
  if (optionValues !== undefined && optionValues.length !== values.length) {
    throw new Error(`field "${name}" has ${values.length} elements but options.${optionName} has ${optionValues.length}`);
  }
}

/** Copy with fields set; spreading defines own properties, so a `__proto__` key stays data, not a prototype. */
export function withFields(record: RecordValue, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...record, ...fields };
}

/** True when `target` is `base` or inside it (both resolved). */
export function isInside(base: string, target: string): boolean {
  const relative = path.relative(base, target);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
