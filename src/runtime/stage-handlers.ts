import type { ModelRunner } from '../inference/model-runner.js';
import { OnnxWorkerPool } from '../inference/onnx/onnx-worker-pool.js';
import type { TopicSerdes } from '../serde/serde-factory.js';
import type { Logger } from '../telemetry/logger.js';
import type { InferenceStageSpec, StageSpec } from '../topology/spec.js';
import type { TransformRegistry } from '../transforms/transform-registry.js';
import { systemClock, type Clock } from './clock.js';
import { COLLECT, collectHandler } from './collect-handler.js';
import { inferenceStageHandler } from './inference-stage-handler.js';
import { routerHandler } from './router-handler.js';
import type { StageHandler } from './stage-handler.js';
import { transformHandler } from './transform-handler.js';

/** What an application plugs in: its transforms, and optionally how models run (tests may fake it). */
export interface StagePlugins {
  readonly transforms: TransformRegistry;
  readonly createModelRunner?: (stage: InferenceStageSpec) => ModelRunner;
}

/** Everything a stage handler may need, assembled by whoever runs the topology (Kafka or the test driver). */
export interface StageContext {
  readonly plugins: StagePlugins;
  readonly serdes: TopicSerdes;
  readonly modelsRoot: string;
  readonly logger: Logger;
  /** Time for stateful stages (collect's timeout); the system clock by default. */
  readonly clock?: Clock;
  /** The stage of the topology that writes a topic (a cascade's intermediate topic): its schema is waited for. */
  readonly writerOf?: (topic: string) => string | undefined;
}

/** A worker pool per inference stage, sized by the stage (`workers`) or the machine. */
export const onnxRunner = (stage: InferenceStageSpec): ModelRunner => new OnnxWorkerPool(stage.workers === undefined ? {} : { workers: stage.workers });

type HandlerFactories = {
  readonly [Type in StageSpec['type']]: (stage: Extract<StageSpec, { type: Type }>, context: StageContext) => StageHandler;
};

/** One factory per stage kind; the mapped type makes a new kind in the spec a compile error here until it has one. */
const FACTORIES: HandlerFactories = {
  transform: (stage, context) =>
    stage.function === COLLECT ? collectHandler(stage, context.clock ?? systemClock) : transformHandler(stage, context.plugins.transforms.get(stage.function)),
  router: (stage) => routerHandler(stage),
  inference: (stage, context) =>
    inferenceStageHandler(stage, {
      serdes: context.serdes,
      modelsRoot: context.modelsRoot,
      logger: context.logger,
      createModelRunner: context.plugins.createModelRunner ?? onnxRunner,
      transforms: context.plugins.transforms,
      writerOf: context.writerOf,
    }),
};

export function createStageHandler(stage: StageSpec, context: StageContext): StageHandler {
  // TypeScript cannot correlate `stage.type` with its factory's parameter; FACTORIES is keyed so that they match.
  const create = FACTORIES[stage.type] as (stage: StageSpec, context: StageContext) => StageHandler;
  return create(stage, context);
}
