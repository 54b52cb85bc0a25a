import type { ConnectionSettings } from '../config/connection.js';
import { ErrorCode, KascadeError } from '../errors.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Logger } from '../telemetry/logger.js';
import type { StageHandler } from '../runtime/stage-handler.js';
import { createStageHandler, type StageContext, type StagePlugins } from '../runtime/stage-handlers.js';
import { StagePipeline } from '../runtime/stage-pipeline.js';
import type { TopicSerdes } from '../serde/serde-factory.js';
import { consumerGroupOf, deadLetterTopicOf, readsTransactions, sameEncoding, stageInputs, stageOutputs, type StageSpec, type TopologySpec } from '../topology/spec.js';
import { topologyTopics } from '../topology/topics.js';
import { resolveModelsRoot } from '../topology/models-root.js';
import { topicPartitioner } from '../routing/colocation.js';
import { KafkaStageService, type StageExit } from './stage-service.js';
import type { StageService } from '../runtime/delivery/stage-service.js';
import type { StageHealthBoard } from '../telemetry/stage-health.js';
import { ensureTopics } from './admin/topic-admin.js';
import { TopicLimits } from './admin/topic-limits.js';
import { asConnectionError } from './admin/connection-error.js';
import { fieldsReadBy } from '../runtime/fields-read.js';

export interface RunTopologyOptions {
  readonly spec: TopologySpec;
  readonly connection: ConnectionSettings;
  readonly serdes: TopicSerdes;
  readonly plugins: StagePlugins;
  readonly logger: Logger;
  /** Stage names to run; all stages when absent or empty. */
  readonly stages?: readonly string[];
  /** Folder model paths resolve under (LoadedTopology.modelsRoot); default resolveModelsRoot(spec, cwd). */
  readonly modelsRoot?: string;
  /** Create missing topics before starting (default true; `kascade topics` does it explicitly). */
  readonly createTopics?: boolean;
  readonly clock?: Clock;
  /** Where each stage shows its health and progress (the run command's /healthz and /readyz). */
  readonly board?: StageHealthBoard;
}

export interface RunningTopology {
  readonly services: ReadonlyMap<string, StageService>;
  /** Resolves with the first stage that ended on its own (failed), or when all stopped. */
  readonly firstExit: Promise<{ readonly stage: string; readonly exit: StageExit }>;
  /** Per stage: records consumed, written, dead-lettered, and the handler's own counters (models, batches). */
  stats(): Record<string, Readonly<Record<string, number | string>>>;
  /** Replaces every stage's Kafka client (see guardKafkaClientCallbacks). */
  restartClients(reason: string): void;
  stop(): Promise<void>;
}

/** The named stages; all of them (the spec's own array, so callers can tell) when no name is given. */
export function selectStages(spec: TopologySpec, names: readonly string[] | undefined): readonly StageSpec[] {
  if (names === undefined || names.length === 0) return spec.stages;
  const known = new Map(spec.stages.map((stage) => [stage.name, stage]));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new KascadeError(ErrorCode.ConfigInvalid, `unknown stage ${unknown.map((name) => `"${name}"`).join(', ')} (stages: ${[...known.keys()].join(', ')})`);
  }
  return names.map((name) => known.get(name)).filter((stage): stage is StageSpec => stage !== undefined);
}

/** Starts the selected stages of a topology as consumer-group services in this process. */
export async function runTopology(options: RunTopologyOptions): Promise<RunningTopology> {
  const { spec, logger } = options;
  const stages = selectStages(spec, options.stages);
  // The insecure choices KASCADE_ALLOW_INSECURE=true accepted: said once, at start.
  for (const warning of options.connection.warnings ?? []) logger.warn(warning);
  const access = { connection: options.connection, clientId: `kascade.${spec.name}` };
  const brokers = options.connection.brokers;
  if (options.createTopics ?? true) {
    const result = await ensureTopics(access, topologyTopics(spec, stages));
    if (result.created.length > 0) logger.info('created topics', { topics: result.created.join(',') });
  }
  const context: StageContext = {
    plugins: options.plugins,
    serdes: options.serdes,
    modelsRoot: options.modelsRoot ?? resolveModelsRoot(spec, process.cwd()),
    logger,
    clock: options.clock ?? systemClock,
    // Only a writer in another process registers its schema while this one waits (here, outputs register after every start).
    writerOf: (topic) => spec.stages.find((stage) => !stages.includes(stage) && stageOutputs(stage).includes(topic))?.name,
  };
  // What each written topic accepts, so an oversized output is dead-lettered instead of failing its batch.
  const limits = TopicLimits.of(access, stages.flatMap((stage) => [...stageOutputs(stage), deadLetterTopicOf(stage)]));
  await limits.refresh().catch((error: unknown) => {
    // E.g. no DescribeConfigs permission: the stages run, and the broker alone judges sizes.
    logger.warn('cannot read max.message.bytes of the topics the stages write; outputs are not checked against it', {
      error: error instanceof Error ? error.message : String(error),
    });
  });
  const partitioner = topicPartitioner(spec);
  const services = new Map<string, KafkaStageService>();
  const handlers = new Map<string, StageHandler>();
  const stopHandlers = async (): Promise<void> => {
    for (const handler of handlers.values()) await handler.stop?.();
  };
  try {
    for (const stage of stages) {
      const handler = createStageHandler(stage, context);
      handlers.set(stage.name, handler);
      // Handlers start first: an inference stage loads its models and provides its prediction schema.
      await handler.start?.();
    }
    // Output schemas are registered before any record is read: an incompatible schema stops the start, not a record.
    await options.serdes.initAll(
      stages.flatMap((stage) => [...stageInputs(stage), ...stageOutputs(stage)]),
      stages.flatMap((stage) => stageOutputs(stage)),
    );
  } catch (error) {
    await stopHandlers().catch(() => undefined);
    throw error;
  }
  for (const stage of stages) {
    const handler = handlers.get(stage.name);
    if (handler === undefined) continue;
    const pipeline = new StagePipeline({
      stage: stage.name,
      handler,
      serdeFor: (topic) => options.serdes.serdeFor(topic),
      keyDecoderFor: (topic) => options.serdes.keyDecoderFor(topic),
      onError: stage.onError ?? spec.defaults.onError,
      deadLetterTopic: deadLetterTopicOf(stage),
      requestId: stage.requestId,
      clock: options.clock ?? systemClock,
      consumerGroup: consumerGroupOf(spec, stage),
      sameEncoding: (from, to) => sameEncoding(spec, from, to),
      fieldsRead: fieldsReadBy(spec, stage),
      tooLarge: (record) => limits.tooLarge(record),
    });
    services.set(
      stage.name,
      new KafkaStageService({
        connection: options.connection,
        stage: stage.name,
        groupId: consumerGroupOf(spec, stage),
        inputs: stageInputs(stage),
        delivery: stage.delivery ?? spec.defaults.delivery,
        readsTransactions: readsTransactions(spec, stage),
        pipeline,
        logger,
        tuning: stage.consumer,
        partitioner,
        limits,
        board: options.board,
        stats: () => handler.stats?.() ?? {},
      }),
    );
  }
  const stop = async (): Promise<void> => {
    await Promise.all([...services.values()].map((service) => service.stop()));
    await stopHandlers();
  };
  try {
    await Promise.all([...services.values()].map((service) => service.start()));
  } catch (error) {
    await stop().catch(() => undefined);
    throw asConnectionError(error, brokers);
  }
  const firstExit = Promise.race([...services].map(([stage, service]) => service.exited.then((exit) => ({ stage, exit }))));
  const stats = (): Record<string, Readonly<Record<string, number | string>>> =>
    Object.fromEntries([...services].map(([name, service]) => [name, { ...service.counters, ...handlers.get(name)?.stats?.() }]));
  const restartClients = (reason: string): void => {
    for (const service of services.values()) service.restartClient(reason);
  };
  return { services, firstExit, stats, restartClients, stop };
}
