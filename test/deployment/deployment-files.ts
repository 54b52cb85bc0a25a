import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** A path from the repository root. */
export const fromRoot = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

export const readText = (path: string): string => readFileSync(fromRoot(path), 'utf8');

export type YamlMap = Readonly<Record<string, unknown>>;

export function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asMap(value: unknown, where: string): YamlMap {
  assert.ok(isMap(value), `${where}: expected a mapping`);
  return value;
}

export function asList(value: unknown, where: string): readonly unknown[] {
  assert.ok(Array.isArray(value), `${where}: expected a list`);
  return value as readonly unknown[];
}

export function asString(value: unknown, where: string): string {
  assert.equal(typeof value, 'string', `${where}: expected a string`);
  return value as string;
}

export function asStrings(value: unknown, where: string): string[] {
  return asList(value, where).map((entry, index) => (typeof entry === 'number' ? String(entry) : asString(entry, `${where}[${index}]`)));
}

/** Compose's YAML: anchors and `<<` merge keys resolved, as Compose does before validating. */
export function parseComposeYaml(text: string): unknown {
  return parse(text, { merge: true });
}

export function loadYaml(path: string): unknown {
  return parse(readText(path), { merge: true });
}

export function loadYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readText(path)).map((document) => document.toJS() as unknown);
}

/** `--flag value` in an argument list, or undefined. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args[index + 1];
}

/** The kascade command of a container: `run`, `topics`, `simulate`... and its arguments. */
export interface KascadeCommand {
  readonly verb: string;
  readonly args: readonly string[];
  /** The topology file of `run` and `topics`. */
  readonly topology: string | undefined;
  /** The stages `run --stage` names. */
  readonly stages: readonly string[];
}

export function kascadeCommand(args: readonly string[]): KascadeCommand {
  const [verb = '', ...rest] = args;
  const stages = rest.flatMap((arg, index) => (arg === '--stage' && rest[index + 1] !== undefined ? [rest[index + 1] ?? ''] : []));
  const topology = verb === 'run' || verb === 'topics' ? rest.find((arg) => arg.endsWith('.yaml') || arg.endsWith('.yml')) : undefined;
  return { verb, args: rest, topology, stages };
}
