import { formatPath, pathKey, type YamlPath } from './yaml-path.js';

/**
 * Which parts of a topology came from environment variables, with the text the file holds there
 * (`${DB_PASSWORD}`). Messages about those parts show that text, never the value: interpolated
 * values may be secrets.
 */
export interface Provenance {
  /** Raw scalar text by pathKey of the value. */
  readonly values: ReadonlyMap<string, string>;
  /** Raw key text by pathKey of the entry the key introduces. */
  readonly keys: ReadonlyMap<string, string>;
}

/** A topology built in code or with nothing interpolated. */
export const NO_PROVENANCE: Provenance = { values: new Map(), keys: new Map() };

export function displayPath(path: YamlPath, provenance: Provenance): string {
  return formatPath(path, provenance.keys);
}

/** The text at `path` for a message: as written in the file when interpolated, else the value itself. */
export function rawOrValue(path: YamlPath, value: string, provenance: Provenance): string {
  return provenance.values.get(pathKey(path)) ?? value;
}

/** `"value"` for a message, or `"${VAR}"` when the value came from the environment. */
export function quoteAt(path: YamlPath, value: string, provenance: Provenance): string {
  return JSON.stringify(rawOrValue(path, value, provenance));
}

/** `"key"` for a message about a map key, or its raw text when the key was interpolated. */
export function quoteKeyAt(entryPath: YamlPath, key: string, provenance: Provenance): string {
  return JSON.stringify(provenance.keys.get(pathKey(entryPath)) ?? key);
}
