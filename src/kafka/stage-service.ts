import type { Membership, StageTransport } from '../runtime/delivery/ports.js';
import type { StageService } from '../runtime/delivery/stage-service.js';
import { StageEngine, type StageCounters, type StageExit } from '../runtime/delivery/stage-engine.js';
import type { StagePipeline } from '../runtime/stage-pipeline.js';
import type { Logger } from '../telemetry/logger.js';
import type { ConsumerTuning, DeliveryGuarantee } from '../topology/spec.js';
import type { KeyPartitioner } from '../routing/partitioner.js';
import { kafkajsTransport } from './kafkajs/kafkajs-transport.js';
import { platformaticTransport } from './platformatic/platformatic-transport.js';
import type { ConnectionSettings } from '../config/connection.js';
import type { StageHealthBoard } from '../telemetry/stage-health.js';
import { DEFAULT_SESSION_TIMEOUT_MS } from './kafkajs/stage-consumer-config.js';
import { isMessageTooLarge, type TopicLimits } from './admin/topic-limits.js';

export type { StageCounters, StageExit } from '../runtime/delivery/stage-engine.js';

export interface StageServiceOptions {
  readonly connection: ConnectionSettings;
  readonly stage: string;
  readonly groupId: string;
  readonly inputs: readonly string[];
  readonly delivery: DeliveryGuarantee;
  /** Some input is written in transactions (by an exactly-once stage of the topology). */
  readonly readsTransactions?: boolean | undefined;
  readonly pipeline: StagePipeline;
  readonly logger: Logger;
  readonly tuning?: ConsumerTuning | undefined;
  /** Placement of keyed outputs (model colocation); key hash when absent. */
  readonly partitioner?: KeyPartitioner;
  /** The handler's counters, logged when the stage stops. */
  readonly stats?: () => Readonly<Record<string, number | string>>;
  /** Where a new consumer group starts: the earliest record (default) or only new ones. */
  readonly fromBeginning?: boolean;
  /** max.message.bytes of the topics the stage writes: produce requests are split to fit them. */
  readonly limits?: TopicLimits | undefined;
  /** Where the stage shows its health (/healthz, /readyz); the watchdog runs either way. */
  readonly board?: StageHealthBoard | undefined;
}

/** One stage as a consumer-group service: the delivery engine on the chosen Kafka client's ports. */
export class KafkaStageService implements StageService {
  private engine: StageEngine | undefined;
  private transport: StageTransport | undefined;
  private readonly exit: Promise<StageExit>;
  private resolveExit!: (exit: StageExit) => void;
  private readonly counts: StageCounters = { consumed: 0, deadLettered: 0, skipped: 0, written: 0 };

  constructor(private readonly options: StageServiceOptions) {
    this.exit = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get counters(): StageCounters {
    return this.engine?.counters ?? this.counts;
  }

  get exited(): Promise<StageExit> {
    return this.exit;
  }

  membership(): Membership {
    return this.transport?.source.membership() ?? { inGroup: false, since: 0 };
  }

  /** Connects, joins the group and resolves once the first assignment arrived. */
  async start(): Promise<void> {
    const { limits } = this.options;
    const topicLimit = limits === undefined ? undefined : (topic: string): number | undefined => limits.maxBatchBytes(topic);
    const client = this.options.connection.client ?? 'platformatic';
    this.options.logger.info('kafka client', { stage: this.options.stage, client });
    if (client === 'kafkajs' && this.options.readsTransactions === true) {
      this.options.logger.warn('this stage reads records written in transactions with kafkajs, which lets records of aborted transactions through after faults (docs/kafka-clients.md); unset KASCADE_KAFKA_CLIENT to read them with @platformatic/kafka', { stage: this.options.stage });
    }
    this.transport =
      client === 'kafkajs'
        ? await kafkajsTransport({ ...this.options, topicLimit })
        : platformaticTransport({ ...this.options, topicLimit });
    const engine = new StageEngine({
      stage: this.options.stage,
      delivery: this.options.delivery,
      pipeline: this.options.pipeline,
      transport: this.transport,
      logger: this.options.logger,
      maxBatchSize: this.options.tuning?.maxBatchSize,
      watchdog: {
        sessionTimeoutMs: this.options.tuning?.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
        stuckAfterMs: this.options.tuning?.stuckAfterMs,
        board: this.options.board,
      },
      ...(this.options.stats === undefined ? {} : { stats: this.options.stats }),
      // The broker refused a batch as too large although every record fitted the limits read at start:
      // a topic's max.message.bytes was lowered since. With the new limits the retry dead-letters what no longer fits.
      beforeRetry: async (error) => {
        if (isMessageTooLarge(error)) await limits?.refresh();
      },
    });
    this.engine = engine;
    void engine.exited.then((exit) => this.resolveExit(exit));
    try {
      await engine.start();
    } catch (error) {
      await engine.stop().catch(() => undefined);
      throw error;
    }
  }

  /** Replaces the stage's Kafka client; see StageEngine.restartClient. */
  restartClient(reason: string): void {
    this.engine?.restartClient(reason);
  }

  /** Finishes the chunks in flight, commits what was written, leaves the group. Idempotent. */
  async stop(): Promise<void> {
    if (this.engine === undefined) {
      await this.transport?.sink?.close();
      this.resolveExit({ kind: 'stopped' });
      return;
    }
    await this.engine.stop();
  }
}
