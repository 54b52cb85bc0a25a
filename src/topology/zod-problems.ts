import { z } from 'zod';
import { quoteAt, quoteKeyAt, type Provenance } from './provenance.js';
import type { LocatedProblem, PathSegment, YamlPath } from './yaml-path.js';

/**
 * zod issues -> our problems: YAML paths and short messages a user can act on (`required`,
 * `unknown key "x"`, `unknown stage type "foo" (expected one of: transform)`). Messages name
 * kinds ("got a string"), never values: values may come from secrets in the environment. The
 * few that echo the file's text (unknown keys, unknown types) go through provenance, which shows
 * `${VAR}` for interpolated text.
 */

type Issue = z.core.$ZodIssue;
type Lookup = (path: YamlPath) => { readonly found: boolean; readonly value: unknown };

interface Context {
  readonly root: z.ZodType;
  readonly data: unknown;
  readonly lookup: Lookup;
  readonly provenance: Provenance;
}

export function problemsFromZod(issues: readonly Issue[], root: z.ZodType, data: unknown, provenance: Provenance): LocatedProblem[] {
  const context: Context = { root, data, lookup: (path) => valueAt(data, path), provenance };
  return issues.flatMap((issue) => mapIssue(issue, [], context));
}

function mapIssue(issue: Issue, base: YamlPath, context: Context): LocatedProblem[] {
  const path = [...base, ...issue.path.map(toSegment)];
  const at = (message: string): LocatedProblem[] => [{ path, message }];
  switch (issue.code) {
    case 'invalid_type': {
      const { found, value } = context.lookup(path);
      return at(found ? `expected ${expectedName(issue.expected)}, got ${kindOf(value)}` : 'required');
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path, message: `unknown key ${quoteKeyAt([...path, key], key, context.provenance)}${suggestion(key, knownKeys(context, path))}` }));
    case 'invalid_union':
      return unionProblems(issue, path, context);
    case 'invalid_value':
      return at(issue.values.length === 1 ? `expected ${String(issue.values[0])}` : `expected one of: ${issue.values.map(String).join(', ')}`);
    case 'too_small':
      return at(sizeMessage('at least', issue.origin, issue.minimum, issue.inclusive ?? true));
    case 'too_big':
      return at(sizeMessage('at most', issue.origin, issue.maximum, issue.inclusive ?? true));
    case 'not_multiple_of':
      return at(`must be a multiple of ${issue.divisor}`);
    case 'invalid_key': {
      // The issues are about the key itself (their paths are empty): look the key up, not the entry.
      const key = path[path.length - 1];
      const keyContext: Context = { ...context, lookup: () => ({ found: true, value: key }) };
      return issue.issues.flatMap((inner) => mapIssue(inner, path, keyContext)).map((problem) => ({ path, message: `key ${problem.message}` }));
    }
    case 'invalid_format':
    case 'invalid_element':
    case 'custom':
      // Our schema's own messages (spec.ts) or zod's generic ones; neither holds the input.
      return at(issue.message);
  }
}

function unionProblems(issue: Extract<Issue, { code: 'invalid_union' }>, path: YamlPath, context: Context): LocatedProblem[] {
  const { found, value } = context.lookup(path);
  if (issue.discriminator !== undefined && issue.errors.length === 0) {
    // zod reports a bad discriminator at `<object>.<discriminator>`.
    const expected = ('options' in issue ? (issue.options ?? []) : []).map(String).join(', ');
    const last = path[path.length - 1];
    const noun = last === 'type' && path[path.length - 3] === 'stages' ? 'stage type' : String(last);
    if (!found) return [{ path, message: `required (one of: ${expected})` }];
    if (typeof value !== 'string') return [{ path, message: `expected one of: ${expected}, got ${kindOf(value)}` }];
    return [{ path, message: `unknown ${noun} ${quoteAt(path, value, context.provenance)} (expected one of: ${expected})` }];
  }
  // Branches that failed only because the value has another type say nothing useful on their own.
  const typeOnly = (branch: readonly Issue[]): boolean => branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0;
  const relevant = issue.errors.filter((branch) => !typeOnly(branch));
  const [only] = relevant;
  if (relevant.length === 1 && only !== undefined) return only.flatMap((inner) => mapIssue(inner, path, context));
  if (relevant.length === 0) {
    if (!found) return [{ path, message: 'required' }];
    const expected = issue.errors.map((branch) => (branch[0]?.code === 'invalid_type' ? expectedName(branch[0].expected) : '?'));
    return [{ path, message: `expected ${expected.join(' or ')}, got ${kindOf(value)}` }];
  }
  const schema = schemaAt(context.root, path, context.data);
  const options = schema instanceof z.ZodUnion ? schema.options.map((option) => describeSchema(option as z.ZodType)) : [];
  return [{ path, message: options.length > 0 ? `expected one of: ${options.join(', ')}` : 'matches none of the allowed forms' }];
}

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === 'number' ? key : String(key);
}

function valueAt(data: unknown, path: YamlPath): { found: boolean; value: unknown } {
  let current: unknown = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return { found: false, value: undefined };
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return { found: current !== undefined, value: current };
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    default:
      return expected;
  }
}

/** The kind of a YAML value, never the value. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
    case 'bigint':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function sizeMessage(bound: 'at least' | 'at most', origin: string, limit: number | bigint, inclusive: boolean): string {
  const n = Number(limit);
  switch (origin) {
    case 'string':
      return bound === 'at least' && n === 1 ? 'must not be empty' : `must be ${bound} ${n} characters long`;
    case 'array':
    case 'set':
      return bound === 'at least' && n === 1 ? 'must not be empty' : `must have ${bound} ${n} item${n === 1 ? '' : 's'}`;
    default:
      if (inclusive) return `must be ${bound} ${n}`;
      return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${n}`;
  }
}

// --- the schema at a path, for the allowed keys and the forms of a union ---

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

/** The union member a value is meant for: the object whose literal fields (`type: transform`) it matches. */
function branchFor(union: z.ZodUnion, value: unknown): z.ZodType | undefined {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return union.options.map((option) => unwrap(option as z.ZodType)).find((option) => {
    if (!(option instanceof z.ZodObject)) return false;
    return Object.entries(option.shape as Record<string, z.ZodType>).every(([key, field]) => !(field instanceof z.ZodLiteral) || field.values.has(record[key] as never));
  });
}

function childSchema(schema: z.ZodType, segment: PathSegment, value: unknown): z.ZodType | undefined {
  let current = unwrap(schema);
  if (current instanceof z.ZodUnion) current = branchFor(current, value) ?? current;
  if (current instanceof z.ZodObject && typeof segment === 'string') return (current.shape as Record<string, z.ZodType | undefined>)[segment];
  if (current instanceof z.ZodRecord) return current.valueType as z.ZodType;
  if (current instanceof z.ZodArray) return current.element as z.ZodType;
  return undefined;
}

function schemaAt(root: z.ZodType, path: YamlPath, data: unknown): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  for (let index = 0; index < path.length && schema !== undefined; index++) {
    const segment = path[index];
    if (segment === undefined) return undefined;
    schema = childSchema(schema, segment, valueAt(data, path.slice(0, index)).value);
  }
  return schema === undefined ? undefined : unwrap(schema);
}

function knownKeys(context: Context, path: YamlPath): readonly string[] {
  let schema = schemaAt(context.root, path, context.data);
  if (schema instanceof z.ZodUnion) schema = branchFor(schema, context.lookup(path).value);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function describeSchema(schema: z.ZodType): string {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    const keys = Object.entries(inner.shape as Record<string, z.ZodType>).filter(([, field]) => !(field instanceof z.ZodOptional || field instanceof z.ZodDefault));
    return `{ ${keys.map(([key]) => key).join(', ')} }`;
  }
  if (inner instanceof z.ZodArray) return 'a list';
  if (inner instanceof z.ZodString) return 'a string';
  return inner.def.type;
}

/** ` (did you mean "function"?)` for a near miss, else nothing. */
function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.min(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
