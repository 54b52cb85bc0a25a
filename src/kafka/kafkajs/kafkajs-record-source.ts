import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import kafkajs from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ConsumerTuning } from '../../topology/spec.js';
import { partitionKey, type Membership, type RecordSource, type SourceListener, type TopicPartition } from '../../runtime/delivery/ports.js';
import { toSourceRecord } from './messages.js';
import { stageConsumerConfig } from './stage-consumer-config.js';

export interface KafkajsSourceOptions {
  readonly kafka: Kafka;
  readonly stage: string;
  readonly groupId: string;
  readonly inputs: readonly string[];
  readonly logger: Logger;
  readonly tuning?: ConsumerTuning | undefined;
  /** Where a new consumer group starts: the earliest record (default) or only new ones. */
  readonly fromBeginning?: boolean | undefined;
  /** Told of each assignment, as `topic/partition` keys, before the listener. */
  readonly onAssigned?: (owned: ReadonlySet<string>) => void;
}

/** How often a partition's batch in progress heartbeats; kafkajs sends at most one per heartbeatInterval anyway. */
const KEEP_ALIVE_MS = 1000;

/**
 * A kafkajs consumer group member as a record source. kafkajs rebalances eagerly and does not
 * wait for anything before it gives partitions up: at REBALANCING every owned partition is
 * revoked (the engine stops its work and commits what was written, as far as the coordinator
 * still accepts), and each join assigns the new set, which kafkajs reads from the committed
 * offsets. kafkajs heartbeats only when asked, so a batch in progress heartbeats here.
 */
export class KafkajsRecordSource implements RecordSource {
  private consumer: Consumer | undefined;
  private listener: SourceListener | undefined;
  private owned: TopicPartition[] = [];
  private state: Membership = { inGroup: false, since: Date.now() };
  /** Set when the engine found a partition taken over: the next batch handler makes kafkajs join again. */
  private rejoin: Error | undefined;
  /** Bumped at every join and rebalance: a batch handed over under an earlier assignment moves no position. */
  private assignment = 0;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: KafkajsSourceOptions) {}

  async start(listener: SourceListener): Promise<void> {
    this.listener = listener;
    await this.connect();
  }

  pause(): void {
    this.consumer?.pause(this.options.inputs.map((topic) => ({ topic })));
  }

  resume(): void {
    this.consumer?.resume(this.options.inputs.map((topic) => ({ topic })));
  }

  /** The consumer of the current session, for offset commits. */
  consumerInUse(): Consumer | undefined {
    return this.consumer;
  }

  membership(): Membership {
    return this.state;
  }

  ownershipLost(partitions: readonly TopicPartition[]): void {
    this.rejoin = new PartitionTakenError(partitions.map(({ topic, partition }) => partitionKey(topic, partition)).join(','));
  }

  async restart(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.leave();
    await consumer?.disconnect().catch(() => undefined);
    await this.connect();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const consumer = this.consumer;
      this.consumer = undefined;
      await this.listener?.revoking(this.owned);
      this.owned = [];
      await consumer?.stop();
      await consumer?.disconnect();
      this.state = { inGroup: false, since: Date.now() };
    })();
    return this.stopped;
  }

  private async connect(): Promise<void> {
    const { kafka, groupId, logger, stage, tuning } = this.options;
    const consumer = kafka.consumer(stageConsumerConfig(groupId, tuning));
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const { memberAssignment, memberId } = event.payload;
      this.assignment++;
      const assigned = Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      this.state = { inGroup: true, since: Date.now(), member: { groupId, memberId, generationId: -1 } };
      this.owned = assigned;
      this.options.onAssigned?.(new Set(assigned.map(({ topic, partition }) => partitionKey(topic, partition))));
      this.listener?.assigned(assigned);
    });
    consumer.on(consumer.events.REBALANCING, () => this.leave());
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      logger.error('consumer crashed', { stage, error: error.message, restart });
      this.leave();
      // Restarted, kafkajs would fetch the same batch and crash again.
      const unreadable = unreadableBatchError(this.options.inputs, error);
      if (unreadable !== undefined) this.listener?.failed(unreadable);
      else if (!restart) this.listener?.failed(error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.options.inputs], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      // The engine commits offsets once written (or inside its transactions).
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: tuning?.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.onBatch(payload),
    });
    await joined;
  }

  /** The partitions go without waiting: kafkajs rebalances eagerly. */
  private leave(): void {
    this.assignment++;
    const owned = this.owned;
    this.owned = [];
    if (this.state.inGroup) this.state = { inGroup: false, since: Date.now() };
    if (owned.length > 0) void this.listener?.revoking(owned);
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const rejoin = this.rejoin;
    if (rejoin !== undefined) {
      this.rejoin = undefined;
      throw rejoin;
    }
    const { batch } = payload;
    const assignment = this.assignment;
    const records = batch.messages.map((message) => toSourceRecord(batch.topic, batch.partition, message));
    const keepAlive = setInterval(() => void payload.heartbeat().catch(() => undefined), KEEP_ALIVE_MS);
    try {
      await this.listener?.batch({ topic: batch.topic, partition: batch.partition, records, highWatermark: batch.highWatermark });
    } finally {
      clearInterval(keepAlive);
    }
    // kafkajs's next fetch starts after this batch; its records are committed only once written.
    // Not after a rebalance: kafkajs would move the new assignment's position, read from the
    // committed offsets, past records this member never processed.
    if (batch.messages.length > 0 && assignment === this.assignment) payload.resolveOffset(batch.lastOffset());
  }
}

/**
 * Another member has written a partition since this one read it. A kafkajs error of kafkajs's
 * rebalance type: thrown from a batch handler, kafkajs joins the group again and resumes every
 * assigned partition from its committed offset.
 */
export class PartitionTakenError extends kafkajs.KafkaJSError {
  readonly type = 'REBALANCE_IN_PROGRESS';
  override readonly name = 'PartitionTakenError';

  constructor(partitions: string) {
    super(`${partitions} is another member's now: joining the group again`, { retriable: false });
  }
}

/** kafkajs decompresses gzip only unless codecs are registered, and kascade registers none. */
function unreadableBatchError(inputs: readonly string[], error: Error): KascadeError | undefined {
  const codec = /^(Snappy|LZ4|ZSTD) compression not implemented/.exec(error.message)?.[1];
  if (codec === undefined) return undefined;
  return new KascadeError(
    ErrorCode.UnreadableBatch,
    `reading ${inputs.join(', ')}: a batch compressed with ${codec.toLowerCase()}, which kafkajs reads only with a codec plug-in kascade does not install. No record of it can be seen, so none can be dead-lettered: run the stage on the default client (it reads lz4), or have its producers compress with gzip, or not at all (docs/kafka-clients.md, "Compressed input")`,
    { cause: error },
  );
}
