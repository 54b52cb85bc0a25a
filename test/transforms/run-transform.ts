import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { registerBuiltinTransforms } from '../../src/transforms/builtin-transforms.js';
import type { TransformContext } from '../../src/transforms/transform-function.js';
import { fileURLToPath } from 'node:url';

export const TABLES_DIR = fileURLToPath(new URL('../fixtures/transforms/tables/', import.meta.url));

export function context(options: object): TransformContext {
  return {
    key: null,
    keyBytes: null,
    requestId: 'req-1',
    headers: {},
    source: { topic: 'in', partition: 0, offset: '0', timestamp: '0' },
    options: Object.freeze(options) as Readonly<Record<string, unknown>>,
  };
}

/** Runs a built-in the way the runtime does: the same frozen options object for every record. */
export function builtin(name: string, options: object, baseDir = TABLES_DIR): (value: unknown) => unknown {
  const transform = registerBuiltinTransforms(new TransformRegistry(), { baseDir }).get(name);
  const ctx = context(options);
  return (value) => transform(value, ctx);
}

/** Deep-frozen input: any mutation by a transform throws in strict mode. */
export function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}
