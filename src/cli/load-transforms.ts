import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, KascadeError } from '../errors.js';
import type { TransformFunction } from '../transforms/transform-function.js';
import { registerBuiltinTransforms } from '../transforms/builtin-transforms.js';
import { TransformRegistry } from '../transforms/transform-registry.js';

/**
 * Loads user transforms from modules named on the command line (never from the topology, which
 * stays data). A module's default export is an object of name -> function.
 */
export async function loadTransformModules(modules: readonly string[], registry: TransformRegistry): Promise<void> {
  for (const module of modules) {
    let loaded: { default?: unknown };
    try {
      loaded = (await import(pathToFileURL(resolve(module)).href)) as { default?: unknown };
    } catch (error) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `--transforms ${module}: cannot load: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const exported = loaded.default;
    if (typeof exported !== 'object' || exported === null) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `--transforms ${module}: the default export must be an object of transform name -> function`);
    }
    for (const [name, transform] of Object.entries(exported)) {
      if (typeof transform !== 'function') {
        throw new KascadeError(ErrorCode.ConfigInvalid, `--transforms ${module}: "${name}" is not a function`);
      }
      registry.register(name, transform as TransformFunction);
    }
  }
}

/**
 * The transforms a command knows for a topology file: the built-ins (enrich tables resolve
 * under the topology's folder) and then the user's modules.
 */
export async function transformsFor(topologyFile: string, modules: readonly string[]): Promise<TransformRegistry> {
  const registry = registerBuiltinTransforms(new TransformRegistry(), { baseDir: dirname(resolve(topologyFile)) });
  await loadTransformModules(modules, registry);
  return registry;
}
