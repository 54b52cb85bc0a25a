import type { TransformRegistry } from './transform-registry.js';
import { argmaxTransform } from './builtins/argmax.js';
import { collectPlaceholder } from './builtins/collect.js';
import { enrichTransform } from './builtins/enrich.js';
import { explodeTransform } from './builtins/explode.js';
import { exploreTransform } from './builtins/explore.js';
import { renameTransform } from './builtins/rename.js';
import { selectTransform } from './builtins/select.js';
import { softmaxTransform } from './builtins/softmax.js';
import { thresholdTransform } from './builtins/threshold.js';
import { topKTransform } from './builtins/top-k.js';

export interface BuiltinTransformOptions {
  /** Folder `enrich` tables resolve under (typically the topology's folder); tables may not escape it. */
  readonly baseDir: string;
}

/**
 * Registers the cascade post-processing built-ins (select, rename, softmax, argmax, top-k,
 * threshold, explode, enrich, explore, and collect, which the runtime runs as a stateful stage).
 */
export function registerBuiltinTransforms(registry: TransformRegistry, options: BuiltinTransformOptions): TransformRegistry {
  return registry
    .register('select', selectTransform())
    .register('rename', renameTransform())
    .register('softmax', softmaxTransform())
    .register('argmax', argmaxTransform())
    .register('top-k', topKTransform())
    .register('threshold', thresholdTransform())
    .register('explode', explodeTransform())
    .register('enrich', enrichTransform({ baseDir: options.baseDir }))
    .register('collect', collectPlaceholder())
    .register('explore', exploreTransform());
}
