/**
 * Where in a topology something is, as the user would point at it in the YAML:
 * `stages[2].input`, `topics.clicks.schema`, `topics["requests.champion"].partitions`.
 */

export type PathSegment = string | number;
export type YamlPath = readonly PathSegment[];

/** A key that can be written bare after a dot; anything else (dots, spaces, `$`) is bracket-quoted so the path stays unambiguous. */
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** One key per path, for maps keyed by path. */
export function pathKey(path: YamlPath): string {
  return JSON.stringify(path);
}

/**
 * Renders a path. `rawKeys` holds, by the pathKey of an entry, the key as written in the file
 * when it was interpolated: the path then shows `topics["${KASCADE_RUN}.clicks"]`, never the value.
 */
export function formatPath(path: YamlPath, rawKeys?: ReadonlyMap<string, string>): string {
  let out = '';
  path.forEach((segment, index) => {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      return;
    }
    const key = rawKeys?.get(pathKey(path.slice(0, index + 1))) ?? segment;
    if (BARE_KEY.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  });
  return out;
}

/** True when `path` is `prefix` or lies under it. */
export function isUnder(path: YamlPath, prefix: YamlPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

/** A problem before rendering: the path is still structured so interpolated keys can be shown as written. */
export interface LocatedProblem {
  readonly path: YamlPath;
  readonly message: string;
}
