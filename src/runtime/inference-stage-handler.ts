import { InferenceHandler } from '../inference/inference-handler.js';
import type { ModelRunner } from '../inference/model-runner.js';
import { ModelSource } from '../inference/model-source.js';
import { PredictionHeader } from '../inference/prediction.js';
import type { TopicSerdes } from '../serde/serde-factory.js';
import type { Logger } from '../telemetry/logger.js';
import { stageInputs, type InferenceStageSpec } from '../topology/spec.js';
import { appendModelLineage, LineageHeader } from './lineage.js';
import type { StageHandler } from './stage-handler.js';

export interface InferenceStageContext {
  readonly serdes: TopicSerdes;
  readonly modelsRoot: string;
  readonly logger: Logger;
  readonly createModelRunner: (stage: InferenceStageSpec) => ModelRunner;
}

/** An `inference` stage as the runtime runs it: predictions go to the stage's output topic, keyed like their input. */
export function inferenceStageHandler(stage: InferenceStageSpec, context: InferenceStageContext): StageHandler {
  let handler: InferenceHandler | undefined;
  const running = (): InferenceHandler => {
    if (handler === undefined) throw new Error(`stage ${stage.name} used before start()`);
    return handler;
  };
  return {
    async start() {
      const input = stageInputs(stage)[0];
      handler = new InferenceHandler({
        stage,
        source: new ModelSource(context.modelsRoot),
        runner: context.createModelRunner(stage),
        logger: context.logger,
        inputSchema: input === undefined ? undefined : await context.serdes.avroSchemaOf(input),
      });
      const { predictionSchema } = await handler.start();
      context.serdes.provideSchema(stage.output, predictionSchema);
    },
    async process(records) {
      const results = await running().infer(records);
      return results.map((result, index) => {
        if ('error' in result) return result;
        const record = records[index];
        const modelId = result.headers[PredictionHeader.modelId] ?? '';
        const modelVersion = result.headers[PredictionHeader.modelVersion] ?? '';
        const headers = { ...result.headers, [LineageHeader.models]: appendModelLineage(record?.headers[LineageHeader.models], modelId, modelVersion) };
        return { outputs: [{ topic: stage.output, key: record?.key ?? null, value: result.prediction, headers }] };
      });
    },
    stats: () => {
      const stats = running().stats();
      return { ...prefixed('models', stats.models), ...prefixed('batches', stats.batches), loaded: running().loadedModels().join(',') };
    },
    stop: async () => {
      await handler?.stop();
    },
  };
}

function prefixed(prefix: string, values: object): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}.${key}`, Number(value)]));
}
