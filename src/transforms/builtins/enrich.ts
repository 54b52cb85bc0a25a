import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { compiledTransform, describe, FieldName, isInside, optionsError, withFields } from './builtin-support.js';
import type { RecordValue } from './builtin-support.js';

export const EnrichOptions = z.strictObject({
  table: z.string().min(1, 'must not be empty'),
  key: FieldName,
  tableKey: FieldName.default('id'),
  into: FieldName.optional(),
  required: z.boolean().default(true),
});
export type EnrichOptions = z.output<typeof EnrichOptions>;

export interface EnrichSettings {
  /** Folder the `table` paths resolve under; a table outside it is refused. */
  readonly baseDir: string;
}

type Table = ReadonlyMap<string, RecordValue>;

const NAME = 'enrich';

/**
 * `enrich`: looks the record's `key` (dotted path) up in a JSON table and merges the entry's fields
 * into the record (table fields win) or puts the entry under `into`. The table is read once per
 * options object: a stage's options never change while it runs.
 */
export function enrichTransform(settings: EnrichSettings): TransformFunction {
  const baseDir = path.resolve(settings.baseDir);
  return compiledTransform(NAME, EnrichOptions, (options) => {
    const table = loadTable(baseDir, options);
    const keyPath = options.key.split('.');
    return (record) => {
      const id = lookupId(record, keyPath, options.key);
      const entry = table.get(id);
      if (entry === undefined) {
        if (options.required) throw new Error(`field "${options.key}": id ${JSON.stringify(id)} is not in table "${options.table}"`);
        return options.into === undefined ? { ...record } : withFields(record, { [options.into]: null });
      }
      // A copy per output: the table is shared by every record of the stage.
      const copy = structuredClone(entry);
      return options.into === undefined ? withFields(record, copy) : withFields(record, { [options.into]: copy });
    };
  });
}

/** Resolves the table under baseDir (symlinks included: the real path must stay inside too). */
export function resolveTablePath(baseDir: string, table: string): string {
  if (path.isAbsolute(table)) throw optionsError(NAME, ['table'], `"${table}" must be relative to the base directory`);
  const resolved = path.resolve(baseDir, table);
  if (!isInside(baseDir, resolved)) throw optionsError(NAME, ['table'], `"${table}" is outside the base directory`);
  let real: string;
  try {
    real = realpathSync(resolved);
  } catch (error) {
    throw optionsError(NAME, ['table'], `cannot read "${table}": ${errorText(error)}`, error);
  }
  if (!isInside(realpathSync(baseDir), real)) throw optionsError(NAME, ['table'], `"${table}" is outside the base directory`);
  return real;
}

function loadTable(baseDir: string, options: EnrichOptions): Table {
  const file = resolveTablePath(baseDir, options.table);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw optionsError(NAME, ['table'], `cannot read "${options.table}": ${errorText(error)}`, error);
  }
  const fail = (message: string): never => {
    throw optionsError(NAME, ['table'], `"${options.table}": ${message}`);
  };
  const entries = new Map<string, RecordValue>();
  if (Array.isArray(data)) {
    data.forEach((entry: unknown, index) => {
      if (!isPlainObject(entry)) return fail(`[${index}] is not an object (got ${describe(entry)})`);
      const id = Object.hasOwn(entry, options.tableKey) ? entry[options.tableKey] : undefined;
      if (!isId(id)) return fail(`[${index}].${options.tableKey} must be a string or number (got ${describe(id)})`);
      if (entries.has(String(id))) return fail(`duplicate id ${JSON.stringify(String(id))} at [${index}]`);
      entries.set(String(id), entry);
    });
  } else if (isPlainObject(data)) {
    for (const [id, entry] of Object.entries(data)) {
      if (!isPlainObject(entry)) return fail(`${JSON.stringify(id)} is not an object (got ${describe(entry)})`);
      entries.set(id, entry);
    }
  } else {
    return fail(`must be an array of objects or an object keyed by id (got ${describe(data)})`);
  }
  return entries;
}

/** Ids are compared as strings: JSON object keys are strings, records often carry numbers. */
function lookupId(record: RecordValue, keyPath: readonly string[], key: string): string {
  let current: unknown = record;
  for (const segment of keyPath) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) throw new Error(`field "${key}" is missing`);
    current = current[segment];
  }
  if (!isId(current)) throw new Error(`field "${key}" is not a string or number (got ${describe(current)})`);
  return String(current);
}

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorText(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
  return String(error);
}
