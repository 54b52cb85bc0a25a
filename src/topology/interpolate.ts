import { envAllowList, type EnvAllowList } from './env-allow-list.js';
import type { Provenance } from './provenance.js';
import { pathKey, type LocatedProblem, type PathSegment, type YamlPath } from './yaml-path.js';

/**
 * `${VAR}` and `${VAR:-default}` in topology strings, like a shell or docker compose:
 * the default applies when VAR is unset or empty; `$${VAR}` stays a literal `${VAR}`.
 * Nothing else is evaluated: no commands, no nesting, no expressions. Only names the allow-list
 * admits are read (see env-allow-list.ts).
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolatedText {
  readonly text: string;
  /** At least one reference was replaced: the text now depends on the environment. */
  readonly interpolated: boolean;
  /** Variables referenced without a default that are not set (each once, in order). */
  readonly missing: readonly string[];
  /** A `${` that does not start a well-formed reference. */
  readonly malformed: boolean;
  /** References the allow-list refuses, with the reason (each name once, in order); never read. */
  readonly refused: readonly { readonly name: string; readonly reason: string }[];
}

const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export function interpolateString(source: string, env: Env, allowList: EnvAllowList = envAllowList({})): InterpolatedText {
  let text = '';
  let interpolated = false;
  let malformed = false;
  const missing: string[] = [];
  const refused: { name: string; reason: string }[] = [];
  let index = 0;
  while (index < source.length) {
    const dollar = source.indexOf('$', index);
    if (dollar === -1) break;
    text += source.slice(index, dollar);
    if (source.startsWith('$${', dollar)) {
      text += '${'; // escaped: what follows is plain text
      index = dollar + 3;
      continue;
    }
    if (!source.startsWith('${', dollar)) {
      text += '$';
      index = dollar + 1;
      continue;
    }
    const close = source.indexOf('}', dollar + 2);
    const match = close === -1 ? null : REFERENCE_BODY.exec(source.slice(dollar + 2, close));
    if (match === null) {
      malformed = true;
      text += source.slice(dollar);
      index = source.length;
      break;
    }
    const name = match[1] ?? '';
    const fallback = match[2];
    interpolated = true;
    index = close + 1;
    // Refused whether set or not, default or not: a file valid on one machine is valid on every
    // machine, and a default never silently stands in for a value the operator did set.
    const reason = allowList.refusal(name);
    if (reason !== undefined) {
      if (!refused.some((entry) => entry.name === name)) refused.push({ name, reason });
      continue;
    }
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) {
      text += fallback;
    } else if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
    } else {
      text += value;
    }
  }
  text += source.slice(index);
  return { text, interpolated, missing, malformed, refused };
}

/** YAML 1.2 core-schema typing of a plain scalar's text (numbers and booleans; anything else stays text). */
function typedAsYaml(text: string): number | boolean | string {
  if (/^[-+]?[0-9]+$/.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  return text;
}

const MALFORMED = 'malformed variable reference: write ${NAME} or ${NAME:-default} (and $${ for a literal ${)';

/**
 * Interpolates the scalars of one document and remembers, by path, what the file said there, so
 * that every later message can show `${VAR}` instead of the value (which may be a secret).
 */
export class Interpolator {
  readonly problems: LocatedProblem[] = [];
  private readonly values = new Map<string, string>();
  private readonly keys = new Map<string, string>();
  private readonly plain = new Map<string, YamlPath>();

  constructor(
    private readonly env: Env = process.env,
    private readonly allowList: EnvAllowList = envAllowList(env),
  ) {}

  /** What came from the environment, for messages. */
  get provenance(): Provenance {
    return { values: this.values, keys: this.keys };
  }

  /**
   * A string scalar at `path`; the result is a string. Plain (unquoted) interpolated scalars
   * are remembered: `typeScalars` may turn them into numbers or booleans where the schema wants one.
   */
  value(path: YamlPath, source: string, plain: boolean): string {
    const result = interpolateString(source, this.env, this.allowList);
    this.record(path, result);
    if (!result.interpolated) return result.text;
    this.values.set(pathKey(path), source);
    if (plain) this.plain.set(pathKey(path), path);
    return result.text;
  }

  /**
   * `partitions: ${KASCADE_PARTITIONS}` holds a string after interpolation. Where the schema expected a
   * number or a boolean (zod's invalid_type issues) and the scalar was plain, it is typed the way
   * YAML would type the text, in place; returns whether anything changed (then parse again).
   * Only there: `input: ${TOPIC}` stays a string even when TOPIC is `2024`, and a quoted
   * `"${X}"` always stays a string.
   */
  typeScalars(data: unknown, issues: readonly { readonly code?: string; readonly expected?: string; readonly path: readonly PropertyKey[] }[]): boolean {
    let changed = false;
    for (const issue of issues) {
      if (issue.code !== 'invalid_type' || !['number', 'int', 'boolean'].includes(issue.expected ?? '')) continue;
      const path = this.plain.get(pathKey(issue.path.map((key) => (typeof key === 'number' ? key : String(key)))));
      const parent = path === undefined ? undefined : containerAt(data, path.slice(0, -1));
      const key = path?.[path.length - 1];
      if (parent === undefined || key === undefined) continue;
      const text = parent[key];
      const typed = typeof text === 'string' ? typedAsYaml(text) : text;
      if (typeof typed === (issue.expected === 'boolean' ? 'boolean' : 'number')) {
        parent[key] = typed;
        changed = true;
      }
    }
    return changed;
  }

  /** A map key under `parent`; keys stay strings. Paths through an interpolated key show it as written. */
  key(parent: YamlPath, source: string): string {
    const result = interpolateString(source, this.env, this.allowList);
    const path = [...parent, result.text];
    if (result.interpolated) this.keys.set(pathKey(path), source);
    this.record(path, result);
    return result.text;
  }

  private record(path: YamlPath, result: InterpolatedText): void {
    if (result.malformed) this.problems.push({ path, message: MALFORMED });
    for (const { reason } of result.refused) this.problems.push({ path, message: reason });
    for (const name of result.missing) this.problems.push({ path, message: `environment variable ${name} is not set` });
  }
}

function containerAt(data: unknown, path: YamlPath): Record<PathSegment, unknown> | undefined {
  let current: unknown = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return typeof current === 'object' && current !== null ? (current as Record<PathSegment, unknown>) : undefined;
}
