/**
 * Dotted field paths into decoded record values (`user.age`), split once when a stage starts so
 * that reading a field on the hot path does no string work.
 */

/** The path's segments: `user.age` -> ['user', 'age']. */
export type RecordPath = readonly string[];

export function parseRecordPath(path: string): RecordPath {
  return path.split('.');
}

/** The value at `path`, or undefined when a segment is missing or a parent is not an object. */
export function valueAtPath(value: unknown, path: RecordPath): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The value at `path` as text when it is a string or a number (ids, keys, units), else undefined. */
export function textAtPath(value: unknown, path: RecordPath): string | undefined {
  const found = valueAtPath(value, path);
  return typeof found === 'string' || typeof found === 'number' || typeof found === 'bigint' ? String(found) : undefined;
}

/** True for what decoders give for records (plain objects), not arrays, bytes or primitives. */
export function isRecordValue(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
