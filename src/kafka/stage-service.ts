import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isKascadeError, KascadeError, ErrorCode } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { ConsumerLagGauge } from '../telemetry/consumer-lag.js';
import { stageMetrics, type StageMetrics } from '../telemetry/stage-metrics.js';
import { retryWithBackoff } from '../runtime/retry.js';
import type { OutgoingRecord, SourceRecord } from '../runtime/record.js';
import { StageFailure, type BatchOutcome, type StagePipeline } from '../runtime/stage-pipeline.js';
import type { ConsumerTuning, DeliveryGuarantee } from '../topology/spec.js';
import type { RecordHolder } from '../runtime/stage-handler.js';
import type { KeyPartitioner } from './client.js';
import { KeyedLock } from './keyed-lock.js';
import { toSourceRecord } from './messages.js';
import { OffsetCommitter } from './offset-committer.js';
import { PartitionLanes } from './partition-lanes.js';
import { stageConsumerConfig } from './stage-consumer-config.js';
import { isKafkaRebalance } from './rebalance-errors.js';
import { openStageOutput, type StageOutput } from './stage-output.js';
import { isMessageTooLarge, type TopicLimits } from './topic-limits.js';
import { partitionKey, PartitionTakenError } from './transactional-writer.js';

export interface StageServiceOptions {
  readonly kafka: Kafka;
  readonly stage: string;
  readonly groupId: string;
  readonly inputs: readonly string[];
  readonly delivery: DeliveryGuarantee;
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
}

/** How often a batch in progress heartbeats; kafkajs sends at most one per heartbeatInterval anyway. */
const KEEP_ALIVE_MS = 1000;

export type StageExit = { readonly kind: 'stopped' } | { readonly kind: 'failed'; readonly error: Error };

export interface StageCounters {
  consumed: number;
  deadLettered: number;
  skipped: number;
  written: number;
}

/**
 * One stage as a Kafka consumer-group service. Each partition batch is decoded, processed and
 * written, and only then are its offsets committed: at-least-once through an idempotent
 * producer with batched sends, exactly-once through one transaction per partition chunk.
 * Systemic trouble (registry or broker down) pauses consumption and retries the chunk with
 * backoff; it never turns into dead letters. SIGTERM-style stop() finishes the chunk in flight,
 * commits and leaves the group.
 */
export class KafkaStageService {
  readonly counters: StageCounters = { consumed: 0, deadLettered: 0, skipped: 0, written: 0 };
  readonly exited: Promise<StageExit>;
  private resolveExit!: (exit: StageExit) => void;
  private consumer: Consumer | undefined;
  private output: StageOutput | undefined;
  private stopping: Promise<void> | undefined;
  private outages = 0;
  /** Set when the handler holds records back (collect): offsets are then committed here, not by kafkajs. */
  private readonly holder: RecordHolder | undefined;
  private readonly locks = new KeyedLock();
  /** Per partition: the offset after the last chunk written, and the last offset committed. */
  private readonly positions = new Map<string, string>();
  private readonly committedOffsets = new Map<string, string>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly metrics: StageMetrics;
  private readonly lag: ConsumerLagGauge;
  /**
   * Without a holder, batches are processed in the background while kafkajs fetches the next
   * ones. At-least-once offsets are committed here once written; exactly-once offsets go with
   * each transaction. Holders process each batch inside kafkajs's handler: a rebalance then
   * waits for the work in flight, which their offset bookkeeping relies on.
   */
  private readonly lanes: PartitionLanes | undefined;
  private readonly committer: OffsetCommitter | undefined;
  /** Set when background work found its partition taken over: the next handler call makes kafkajs join again. */
  private rejoin: Error | undefined;

  constructor(private readonly options: StageServiceOptions) {
    this.holder = options.pipeline.holder;
    if (this.holder !== undefined) {
      this.lanes = undefined;
      this.committer = undefined;
    } else if (options.delivery === 'exactly-once') {
      this.lanes = new PartitionLanes();
      this.committer = undefined;
    } else {
      this.lanes = new PartitionLanes();
      this.committer = new OffsetCommitter(
        (offsets) => this.consumer?.commitOffsets([...offsets]) ?? Promise.resolve(),
        (error, offsets) =>
          options.logger.warn('could not commit offsets; the next commit carries them forward', {
            stage: options.stage,
            partitions: offsets.map((offset) => `${offset.topic}/${String(offset.partition)}`).join(','),
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    }
    this.metrics = stageMetrics(options.stage);
    this.lag = new ConsumerLagGauge(options.stage);
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  /** Connects, subscribes and resolves once the consumer has joined its group. */
  async start(): Promise<void> {
    const { kafka, groupId, delivery, logger, stage } = this.options;
    const consumer = kafka.consumer(stageConsumerConfig(groupId, this.options.tuning));
    this.consumer = consumer;
    const limits = this.options.limits;
    const topicLimit = limits === undefined ? undefined : (topic: string): number | undefined => limits.maxBatchBytes(topic);
    this.output = await openStageOutput({ kafka, groupId, delivery, partitioner: this.options.partitioner, topicLimit });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment;
      logger.info('joined consumer group', { stage, group: groupId, assignment: JSON.stringify(assignment) });
      const owned = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => partitionKey(topic, partition))));
      this.output?.retain(owned);
      this.lag.retain(owned);
      // kafkajs resumes every assigned partition from its committed offset after a join, and a
      // holder never commits past what it holds: its state is rebuilt by reading again.
      this.holder?.reset();
      this.lanes?.reset();
      this.committer?.forget();
      this.positions.clear();
      this.committedOffsets.clear();
    });
    // Work queued before a rebalance stops as soon as it starts, not only once the group is joined
    // again. Offsets already noted still go out: they are of written records, and the coordinator
    // refuses them once the new generation is formed. What is still pending at the join is dropped.
    consumer.on(consumer.events.REBALANCING, () => this.lanes?.reset());
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      logger.error('consumer crashed', { stage, error: error.message, restart });
      if (!restart) this.fail(error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.options.inputs], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      // Offsets are committed by the stage once written (the committer, a holder or a transaction).
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.tuning?.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.onBatch(payload),
    });
    await joined;
    if (this.holder !== undefined) {
      const holder = this.holder;
      this.expiryTimer = setInterval(() => void this.expireHeld(holder), holder.expiryCheckMs);
    }
    logger.info('stage running', { stage, group: groupId, delivery, inputs: this.options.inputs.join(',') });
  }

  /** Finishes the chunk in flight, commits what was written, leaves the group, disconnects. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown().then(() => this.resolveExit({ kind: 'stopped' }));
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.expiryTimer);
    // Chunks in flight finish and commit while the consumer still runs: kafkajs ignores
    // commitOffsets once stop() has begun, and a written chunk left uncommitted is written again.
    this.draining = true;
    await Promise.allSettled([...this.inFlight]);
    await this.committer?.flush();
    await this.consumer?.stop();
    await this.consumer?.disconnect();
    await this.output?.close();
    this.lag.close();
    this.options.logger.info('stage stopped', { stage: this.options.stage, ...this.counters, ...this.options.stats?.() });
  }

  private fail(error: Error): void {
    const where = error instanceof StageFailure ? { topic: error.source.topic, partition: error.source.partition, offset: error.source.offset } : {};
    this.options.logger.error('stage failed', { stage: this.options.stage, ...where, error: error.message });
    void this.shutdown()
      .catch(() => undefined)
      .then(() => this.resolveExit({ kind: 'failed', error }));
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const rejoin = this.rejoin;
    if (rejoin !== undefined) {
      this.rejoin = undefined;
      throw rejoin;
    }
    if (this.lanes === undefined) {
      await this.processChunks(payload, () => payload.heartbeat(), () => true, (last) => payload.resolveOffset(last.offset));
      return;
    }
    // In the background a failed heartbeat matters only as a rebalance; kafkajs's own heartbeat
    // between fetches meets any other trouble and handles it.
    const heartbeat = (): Promise<void> =>
      payload.heartbeat().catch((error: unknown) => {
        if (isKafkaRebalance(error)) throw error;
      });
    const queued = this.lanes.enqueue(partitionKey(batch.topic, batch.partition), (isCurrent) =>
      this.processChunks(payload, heartbeat, isCurrent, (last, next) => {
        // A chunk written across a rebalance is not committed: the partition may be another member's now.
        if (isCurrent()) this.committer?.note({ topic: last.topic, partition: last.partition, offset: next });
      }),
    );
    if (queued === undefined) return;
    this.track(
      queued.done.catch((error: unknown) => {
        // Only this stage knows another member took a partition over: kafkajs learns it from the next handler call.
        if (error instanceof PartitionTakenError) this.rejoin = error;
        // A rebalance found while working: kafkajs finds it too, joins again and reads from the committed offsets.
        else if (!isKafkaRebalance(error)) this.fail(error instanceof Error ? error : new Error(String(error)));
      }),
    );
    // kafkajs's next fetch starts after this batch; its records are committed only once written.
    payload.resolveOffset(batch.lastOffset());
    await queued.previous;
  }

  /** Stop waits for what is tracked. */
  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Processes a batch chunk by chunk and calls `written` after each chunk is written, with the
   * chunk's last record and the offset after it; false when it stopped before the end
   * (stopping, stale, or no longer current).
   */
  private async processChunks(
    payload: EachBatchPayload,
    heartbeat: () => Promise<void>,
    isCurrent: () => boolean,
    written: (last: SourceRecord, next: string) => void,
  ): Promise<boolean> {
    const { batch } = payload;
    const shouldStop = (): boolean => !payload.isRunning() || payload.isStale() || this.draining || !isCurrent();
    const chunkSize = this.options.tuning?.maxBatchSize ?? 500;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      // Each chunk starts on a turn of its own: the chunks of every partition of a fetch would
      // otherwise run back to back as promise callbacks, blocking timers and I/O meanwhile.
      await nextTurn();
      if (shouldStop()) return false;
      const read = batch.messages.slice(start, start + chunkSize).map((message) => toSourceRecord(batch.topic, batch.partition, message));
      const last = read[read.length - 1];
      if (last === undefined) return true;
      const chunk = this.output?.notYetWritten(read) ?? read;
      if (chunk.length === 0) continue;
      const next = (BigInt(last.offset) + 1n).toString();
      // kafkajs heartbeats only when asked; a long model run must not look like a dead member.
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), KEEP_ALIVE_MS);
      let delivered: boolean;
      try {
        const delivery = this.locks.run(partitionKey(last.topic, last.partition), () => this.deliver(chunk, last, next, { heartbeat, shouldStop }));
        this.inFlight.add(delivery);
        try {
          delivered = await delivery;
        } finally {
          this.inFlight.delete(delivery);
        }
      } finally {
        clearInterval(keepAlive);
      }
      if (!delivered) return false;
      this.lag.update(batch.topic, batch.partition, batch.highWatermark, next);
      written(last, next);
      await heartbeat();
    }
    return true;
  }

  /** Processes and writes one chunk; false when it was abandoned (stopping, or the stage failed). */
  private async deliver(chunk: readonly SourceRecord[], last: SourceRecord, next: string, control: { heartbeat: () => Promise<void>; shouldStop: () => boolean }): Promise<boolean> {
    const { pipeline, logger, stage } = this.options;
    const from = chunk[0]?.offset ?? next;
    // An object, not a let: the flag is set inside a callback, where flow analysis cannot follow it.
    const outage = { active: false };
    try {
      await retryWithBackoff(
        async () => {
          const restore = this.holder?.checkpoint(last.topic, last.partition);
          let outcome: BatchOutcome;
          try {
            // Written inside the chunk's span: the trace shows the produce as part of the batch.
            outcome = await pipeline.processBatch(chunk, (processed) => this.write(last.topic, last.partition, processed.outgoing, from, next));
          } catch (error) {
            // Not written: the holder forgets this chunk, and the retry starts from the same state.
            restore?.();
            throw error;
          }
          this.counters.consumed += outcome.processed;
          this.counters.deadLettered += outcome.deadLettered;
          this.counters.skipped += outcome.skipped;
          this.counters.written += outcome.outgoing.length - outcome.deadLettered;
          this.metrics.consumed(last.topic, outcome.processed);
          this.metrics.written(outcome.outgoing.length - outcome.deadLettered);
          if (outcome.deadLettered > 0) this.metrics.deadLettered(last.topic, outcome.deadLettered);
          this.metrics.batch(outcome.processed);
        },
        {
          shouldStop: control.shouldStop,
          beforeWait: async (error, attempt, delayMs) => {
            if (!outage.active) {
              outage.active = true;
              this.enterOutage();
            }
            logger.warn('systemic failure, pausing and retrying', {
              stage,
              topic: last.topic,
              partition: last.partition,
              attempt,
              retryInMs: Math.round(delayMs),
              error: error instanceof Error ? error.message : String(error),
            });
            // The broker refused a batch as too large although every record fitted the limits read at
            // start: a topic's max.message.bytes was lowered since. With the new limits, the retry
            // dead-letters the records that no longer fit and splits the rest to fit.
            if (isMessageTooLarge(error)) await this.options.limits?.refresh().catch(() => undefined);
            // Keeps the group membership alive while waiting; throws if a rebalance took the partition.
            await control.heartbeat();
          },
        },
      );
      return true;
    } catch (error) {
      if (error instanceof PartitionTakenError) {
        logger.warn('partition taken over by another member, joining the group again', { stage, topic: last.topic, partition: last.partition, error: error.message });
        throw error;
      }
      if (isKascadeError(error) && error.retriable) return false; // stopping while the world was broken: not committed, redelivered later
      if (isKascadeError(error) || !isKafkaRebalance(error)) {
        this.fail(error instanceof Error ? error : new KascadeError(ErrorCode.TransformFailed, String(error)));
        return false;
      }
      throw error;
    } finally {
      if (outage.active) this.leaveOutage();
    }
  }

  /**
   * Writes a chunk's outgoing records and moves the partition's offset to `next`, or, for a
   * holder, to the first record it still holds if that comes earlier.
   */
  private async write(topic: string, partition: number, outgoing: readonly OutgoingRecord[], from: string, next: string): Promise<void> {
    const key = partitionKey(topic, partition);
    const held = this.holder?.heldFrom(topic, partition);
    const commitAt = held !== undefined && BigInt(held) < BigInt(next) ? held : next;
    await this.output?.write(topic, partition, outgoing, from, commitAt);
    if (this.output?.commitsOffsets === false && this.holder !== undefined && this.committedOffsets.get(key) !== commitAt) {
      await this.consumer?.commitOffsets([{ topic, partition, offset: commitAt }]);
    }
    this.positions.set(key, next);
    this.committedOffsets.set(key, commitAt);
  }

  /** Writes what the holder lets go of on its own schedule (collect's timeout), partition by partition. */
  private async expireHeld(holder: RecordHolder): Promise<void> {
    for (const { topic, partition } of holder.heldPartitions()) {
      const key = partitionKey(topic, partition);
      await this.locks.run(key, async () => {
        const next = this.positions.get(key);
        if (next === undefined || this.stopping !== undefined) return;
        const restore = holder.checkpoint(topic, partition);
        try {
          const outcome = await this.options.pipeline.expire(topic, partition);
          if (outcome.outgoing.length === 0) return;
          // Nothing new was read: the records written are of offsets before `next`.
          await this.write(topic, partition, outcome.outgoing, next, next);
          this.counters.deadLettered += outcome.deadLettered;
          this.counters.written += outcome.outgoing.length - outcome.deadLettered;
          this.metrics.written(outcome.outgoing.length - outcome.deadLettered);
          if (outcome.deadLettered > 0) this.metrics.deadLettered(topic, outcome.deadLettered);
        } catch (error) {
          restore();
          // `onError: fail` stops the stage here as it does for a batch; anything else is retried next time.
          if (isKascadeError(error) && !error.retriable) {
            this.fail(error);
            return;
          }
          this.options.logger.warn('could not write timed-out records, retrying', {
            stage: this.options.stage,
            topic,
            partition,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      });
    }
  }

  /** While any partition is in an outage, fetching stops for all inputs (no work piles up). */
  private enterOutage(): void {
    if (this.outages++ === 0) this.consumer?.pause(this.options.inputs.map((topic) => ({ topic })));
  }

  private leaveOutage(): void {
    if (--this.outages === 0) this.consumer?.resume(this.options.inputs.map((topic) => ({ topic })));
  }
}
