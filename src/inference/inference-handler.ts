import type avro from 'avsc';
import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { InferenceStageSpec, ModelRefSpec } from '../topology/spec.js';
import { MicroBatcher, type BatchStats } from './micro-batcher.js';
import { parseRecordPath, textAtPath, type RecordPath } from './record-path.js';
import { ModelCache, type ModelCacheEvent, type ModelCacheStats } from './model-cache.js';
import { ModelReloader } from './model-reloader.js';
import type { ModelRunner } from './model-runner.js';
import type { ModelFile, ModelSource } from './model-source.js';
import { buildPrediction, compilePredictionLayout, type Prediction, type PredictionLayout } from './prediction.js';
import { fieldSchemaOf, predictionAvroSchema } from './prediction-schema.js';
import { compileTensorMapping, type OutputShape, type TensorMapping } from './tensor-mapping.js';

/** What inference needs of a record. */
export interface InferenceRequest {
  readonly key: string | null;
  readonly value: unknown;
  readonly requestId: string;
}

export type InferenceResult =
  | { readonly prediction: Prediction }
  | { readonly error: KascadeError };

export interface InferenceStats {
  readonly models: ModelCacheStats;
  readonly batches: BatchStats;
}

export interface InferenceHandlerOptions {
  readonly stage: InferenceStageSpec;
  readonly source: ModelSource;
  readonly runner: ModelRunner;
  readonly logger: Logger;
  /** The input topic's Avro schema, when it has one: passthrough fields keep their types. */
  readonly inputSchema?: avro.schema.AvroSchema | undefined;
  /** Model loads, evictions, hits and reloads as they happen, per model id. */
  readonly onModelEvent?: (event: ModelCacheEvent, modelId: string) => void;
}

/** A model version loaded in the runner, with its input mapping checked against it. */
interface LoadedModel {
  readonly ref: ModelRefSpec;
  readonly file: Pick<ModelFile, 'version' | 'stamp'>;
  readonly handle: string;
  readonly mapping: TensorMapping;
}

interface Pending {
  readonly request: InferenceRequest;
  readonly modelId: string;
}

/**
 * kascade's RunInference: picks each record's model (one model, or by key like Beam's
 * KeyedModelHandler), gathers records of all partitions into batches per model, runs them
 * in the worker pool and turns rows into predictions (Beam's PredictionResult).
 */
export class InferenceHandler {
  private readonly models: ReadonlyMap<string, ModelRefSpec>;
  private readonly modelByKey: ReadonlyMap<string, string>;
  private readonly modelKeyPath: RecordPath | undefined;
  private readonly cache: ModelCache<LoadedModel>;
  private readonly batcher: MicroBatcher<Pending, InferenceResult>;
  private readonly reloader: ModelReloader<LoadedModel> | undefined;
  private layout: PredictionLayout | undefined;

  constructor(private readonly options: InferenceHandlerOptions) {
    const { stage } = options;
    const refs = stage.model === undefined ? (stage.models ?? []) : [stage.model];
    this.models = new Map(refs.map((ref) => [ref.id, ref]));
    this.modelKeyPath = stage.modelKey === undefined ? undefined : parseRecordPath(stage.modelKey.field);
    this.modelByKey = new Map((stage.models ?? []).flatMap((model) => model.keys.map((key) => [key, model.id] as const)));
    this.cache = new ModelCache<LoadedModel>({
      capacity: stage.model === undefined ? (stage.maxModelsPerWorker ?? this.models.size) : 1,
      load: async (id) => this.load(this.ref(id), await options.source.read(this.ref(id))),
      release: (model) => options.runner.release(model.handle),
      ...(options.onModelEvent === undefined ? {} : { onEvent: options.onModelEvent }),
    });
    this.batcher = new MicroBatcher({
      maxSize: stage.batch.maxSize,
      maxWaitMs: stage.batch.maxWaitMs,
      ...(options.runner.concurrency === undefined ? {} : { concurrency: options.runner.concurrency }),
      run: (id, items) => this.runBatch(id, items),
    });
    const reload = stage.reload ?? { watch: true, intervalMs: 1000 };
    this.reloader = reload.watch
      ? new ModelReloader({
          models: refs,
          source: options.source,
          cache: this.cache,
          load: (ref, file) => this.load(ref, file),
          intervalMs: reload.intervalMs,
          logger: options.logger,
          stage: stage.name,
        })
      : undefined;
  }

  /**
   * Loads every model once to check the mapping against it (a mismatch stops the start with a
   * clear message, not the first record), keeps as many loaded as the cache allows, and returns
   * the Avro schema of the prediction records.
   */
  async start(): Promise<{ readonly predictionSchema: avro.schema.RecordType }> {
    const { stage } = this.options;
    let shapes: Record<string, OutputShape> | undefined;
    for (const id of this.models.keys()) {
      const mapping = await this.cache.use(id, (model) => Promise.resolve(model.mapping));
      shapes ??= mapping.outputShapes();
    }
    this.layout = compilePredictionLayout({ stage: stage.name, outputs: Object.keys(stage.outputs), passthrough: stage.passthrough });
    const { inputSchema } = this.options;
    const passthrough = stage.passthrough.map((field) => ({ field, schema: inputSchema === undefined ? undefined : fieldSchemaOf(inputSchema, field) }));
    const absent = inputSchema === undefined ? [] : passthrough.filter((entry) => entry.schema === undefined).map((entry) => entry.field);
    if (absent.length > 0) {
      // Probably a typo: such a field is null in every prediction, and its type is a guess.
      this.options.logger.warn('passthrough fields are not in the input schema: their type is a nullable scalar', { stage: stage.name, fields: absent.join(',') });
    }
    const predictionSchema = predictionAvroSchema({ name: `${stage.name}-prediction`, outputs: shapes ?? {}, passthrough });
    this.reloader?.start();
    this.options.logger.info('models ready', { stage: stage.name, models: [...this.models.keys()].join(','), loaded: this.cache.loadedIds().join(',') });
    return { predictionSchema };
  }

  /** One result per request, in order; resolves when every request's batch has run. */
  infer(requests: readonly InferenceRequest[]): Promise<InferenceResult[]> {
    return Promise.all(
      requests.map((request) => {
        const modelId = this.modelFor(request);
        if (modelId instanceof KascadeError) return Promise.resolve({ error: modelId });
        return this.batcher.submit(modelId, { request, modelId });
      }),
    );
  }

  stats(): InferenceStats {
    return { models: { ...this.cache.stats }, batches: { ...this.batcher.stats } };
  }

  loadedModels(): string[] {
    return this.cache.loadedIds();
  }

  async stop(): Promise<void> {
    this.batcher.flushAll();
    await this.reloader?.stop();
    await this.cache.close();
    await this.options.runner.close();
  }

  private ref(id: string): ModelRefSpec {
    const ref = this.models.get(id);
    if (ref === undefined) throw new KascadeError(ErrorCode.UnknownModelKey, `stage ${this.options.stage.name}: no model "${id}"`);
    return ref;
  }

  private modelFor(request: InferenceRequest): string | KascadeError {
    const { stage } = this.options;
    if (stage.model !== undefined) return stage.model.id;
    const key = this.modelKeyPath === undefined ? request.key : (textAtPath(request.value, this.modelKeyPath) ?? null);
    const id = (key === null ? undefined : this.modelByKey.get(key)) ?? stage.defaultModel;
    if (id !== undefined) return id;
    const where = stage.modelKey === undefined ? 'record key' : `field "${stage.modelKey.field}"`;
    return new KascadeError(ErrorCode.UnknownModelKey, `no model for ${where} ${key === null ? '(none)' : `"${key}"`} and no defaultModel`);
  }

  private async load(ref: ModelRefSpec, file: ModelFile): Promise<LoadedModel> {
    const handle = `${ref.id}@${file.version}#${file.stamp}`;
    const metadata = await this.options.runner.load(handle, file.bytes, this.options.stage.session);
    try {
      const mapping = compileTensorMapping(this.options.stage, metadata, ref.id);
      return { ref, file: { version: file.version, stamp: file.stamp }, handle, mapping };
    } catch (error) {
      await this.options.runner.release(handle);
      throw error;
    }
  }

  private runBatch(modelId: string, items: readonly Pending[]): Promise<InferenceResult[]> {
    return this.cache.use(modelId, async (model) => {
      const { feeds, rows, errors } = model.mapping.buildFeeds(items.map((item) => item.request.value));
      // Placeholders, replaced below: an Error (with its stack) per record would cost more than the model run.
      const results: (InferenceResult | undefined)[] = items.map((_, index) => {
        const error = errors.get(index);
        return error === undefined ? undefined : { error };
      });
      const complete = (): InferenceResult[] =>
        results.map((result) => result ?? { error: new KascadeError(ErrorCode.InferenceFailed, `model ${modelId}: no output for this record`) });
      if (rows.length === 0) return complete();
      let run;
      try {
        run = await this.options.runner.run(model.handle, feeds);
      } catch (error) {
        if (isKascadeError(error) && error.retriable) throw error;
        const failure = isKascadeError(error) ? error : new KascadeError(ErrorCode.InferenceFailed, `model ${modelId}: ${String(error)}`, { cause: error });
        for (const index of rows) results[index] = { error: failure };
        return complete();
      }
      const layout = this.layout ?? compilePredictionLayout({ stage: this.options.stage.name, outputs: Object.keys(this.options.stage.outputs), passthrough: this.options.stage.passthrough });
      rows.forEach((index, row) => {
        const item = items[index];
        if (item === undefined) return;
        const prediction = buildPrediction(layout, {
          requestId: item.request.requestId,
          modelId,
          modelVersion: model.file.version,
          inferenceMs: run.inferenceMs,
          value: item.request.value,
          outputs: model.mapping.readOutputs(run.outputs, row),
        });
        results[index] = { prediction };
      });
      return complete();
    });
  }
}
