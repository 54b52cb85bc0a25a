import type { StageSpec } from '../topology/spec.js';
import type { TransformRegistry } from '../transforms/transform-registry.js';
import type { StageHandler } from './stage-handler.js';
import { transformHandler } from './transform-handler.js';

/** What stage handlers may need from the application: registered plug-ins. */
export interface StagePlugins {
  readonly transforms: TransformRegistry;
}

type HandlerFactories = {
  readonly [Type in StageSpec['type']]: (stage: Extract<StageSpec, { type: Type }>, plugins: StagePlugins) => StageHandler;
};

/** One factory per stage kind; the mapped type makes a new kind in the spec a compile error here until it has one. */
const FACTORIES: HandlerFactories = {
  transform: (stage, plugins) => transformHandler(stage, plugins.transforms.get(stage.function)),
};

export function createStageHandler(stage: StageSpec, plugins: StagePlugins): StageHandler {
  return FACTORIES[stage.type](stage, plugins);
}
