import { InferenceHandler } from '../inference/inference-handler.js';
import type { ModelRunner } from '../inference/model-runner.js';
import { ModelSource } from '../inference/model-source.js';
import type { TopicSerdes } from '../serde/serde-factory.js';
import type { Logger } from '../telemetry/logger.js';
import type { InferenceStageSpec } from '../topology/spec.js';
import { inferenceMetrics, modelMetrics } from '../telemetry/stage-metrics.js';
import type { TransformRegistry } from '../transforms/transform-registry.js';
import { runTransformSteps, transformStep, type TransformStep } from '../transforms/transform-steps.js';
import { appendModelLineage, LineageHeader } from './lineage.js';
import { passthroughInputSchema } from './passthrough-input-schema.js';
import { keyText, type StageRecord } from './record.js';
import type { RecordResult, StageHandler } from './stage-handler.js';
import { recordFailure, transformContext } from './transform-handler.js';

export interface InferenceStageContext {
  readonly serdes: TopicSerdes;
  readonly modelsRoot: string;
  readonly logger: Logger;
  readonly createModelRunner: (stage: InferenceStageSpec) => ModelRunner;
  /** Where `postprocess` steps are looked up. */
  readonly transforms: TransformRegistry;
  /** The stage of this topology that writes a topic: its schema is waited for, not required at start. */
  readonly writerOf?: ((topic: string) => string | undefined) | undefined;
}

/** A record's prediction before post-processing, with the headers its outputs carry. */
interface Served {
  readonly record: StageRecord;
  readonly prediction: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

/** An `inference` stage as the runtime runs it: predictions go to the stage's output topic, keyed like their input. */
export function inferenceStageHandler(stage: InferenceStageSpec, context: InferenceStageContext): StageHandler {
  let handler: InferenceHandler | undefined;
  const stopping = new AbortController();
  const observeInference = inferenceMetrics(stage.name);
  // Looked up now: an unknown transform fails the stage at start, not at its first record.
  const steps: TransformStep[] = (stage.postprocess ?? []).map((step) => transformStep(step.function, context.transforms.get(step.function), step.options));
  const running = (): InferenceHandler => {
    if (handler === undefined) throw new Error(`stage ${stage.name} used before start()`);
    return handler;
  };
  return {
    async start() {
      // Before the model runner exists: a stage that cannot start must leave no worker threads behind.
      const inputSchema = await passthroughInputSchema(stage, context.serdes, context.logger, context.writerOf === undefined ? undefined : { writerOf: context.writerOf, signal: stopping.signal });
      handler = new InferenceHandler({
        stage,
        source: new ModelSource(context.modelsRoot),
        runner: context.createModelRunner(stage),
        logger: context.logger,
        inputSchema,
        onModelEvent: modelMetrics(stage.name),
      });
      const { predictionSchema } = await handler.start();
      // With post-processing the output is no longer a prediction; its topic declares its schema.
      if (steps.length === 0) context.serdes.provideSchema(stage.output, predictionSchema);
    },
    async process(records) {
      // A keyed model is picked by the key's text (Avro and JSON keys decoded first, other bytes as hex).
      const results = await running().infer(records.map((record) => ({ key: keyText(record) ?? null, value: record.value, requestId: record.requestId })));
      const served = results.map((result, index): Served | RecordResult => {
        const record = records[index];
        if ('error' in result || record === undefined) return 'error' in result ? result : { outputs: [] };
        const { modelId, modelVersion, inferenceMs } = result.prediction;
        if (Number.isFinite(inferenceMs)) observeInference(modelId, inferenceMs);
        // Who served the record is in the prediction itself; the header lists every model of its path.
        const headers = { [LineageHeader.models]: appendModelLineage(record.headers[LineageHeader.models], modelId, modelVersion) };
        return { record, prediction: result.prediction, headers };
      });
      const written = (entry: Served, values: readonly unknown[]): RecordResult => ({
        outputs: values.map((value) => ({ topic: stage.output, key: entry.record.keyBytes, value, headers: entry.headers })),
      });
      // Without postprocess steps no promise is made per record.
      if (steps.length === 0) return served.map((entry) => ('record' in entry ? written(entry, [entry.prediction]) : entry));
      return Promise.all(
        served.map(async (entry) => {
          if (!('record' in entry)) return entry;
          try {
            return written(entry, await runTransformSteps(steps, entry.prediction, transformContext(entry.record)));
          } catch (error) {
            return recordFailure(error);
          }
        }),
      );
    },
    stats: () => {
      const stats = running().stats();
      return { ...prefixed('models', stats.models), ...prefixed('batches', stats.batches), loaded: running().loadedModels().join(',') };
    },
    stop: async () => {
      stopping.abort();
      await handler?.stop();
    },
  };
}

function prefixed(prefix: string, values: object): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}.${key}`, Number(value)]));
}
