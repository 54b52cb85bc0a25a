import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { isKascadeError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { ConsumerLagGauge } from '../../telemetry/consumer-lag.js';
import type { DeliveryGuarantee } from '../../topology/spec.js';
import type { OutgoingRecord, SourceRecord } from '../record.js';
import { retryWithBackoff, type RetryOptions } from '../retry.js';
import type { RecordHolder } from '../stage-handler.js';
import { StageFailure, type BatchOutcome, type StagePipeline } from '../stage-pipeline.js';
import { chunkWriter, type ChunkWriter } from './chunk-writers.js';
import { isOwnershipLost, type OwnershipLostError } from './ownership-lost.js';
import { PartitionLanes } from './partition-lanes.js';
import { partitionKey, partitionOfKey, type SourceBatch, type SourceListener, type StageTransport, type TopicPartition } from './ports.js';
import { PartitionProgress } from './progress.js';
import { ProgressWatchdog } from './watchdog.js';
import { StageTally, type StageCounters } from './stage-tally.js';
import { StartFloors } from './start-floors.js';
import { WrittenOffsets } from './written-offsets.js';

export type { StageCounters } from './stage-tally.js';
import type { StageHealthBoard } from '../../telemetry/stage-health.js';
import type { Clock } from '../clock.js';

export interface StageEngineOptions {
  readonly stage: string;
  readonly delivery: DeliveryGuarantee;
  readonly pipeline: StagePipeline;
  readonly transport: StageTransport;
  readonly logger: Logger;
  /** Records processed and written at once; offsets advance after each chunk (default 500). */
  readonly maxBatchSize?: number | undefined;
  /** The longest a chunk waits for others to share its transaction (exactly-once; default 100 ms). */
  readonly transactionLingerMs?: number | undefined;
  /** The handler's counters, logged when the stage stops. */
  readonly stats?: () => Readonly<Record<string, number | string>>;
  /** Told of every retriable failure before the retry (e.g. to re-read topic limits after a refusal). */
  readonly beforeRetry?: (error: unknown) => Promise<void>;
  /** Backoff of systemic failures; tests shorten it. */
  readonly retry?: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'sleep'>;
  /** Watches the stage for being alive but stuck (see ProgressWatchdog); off when absent. */
  readonly watchdog?: StageWatchdogOptions | undefined;
}

export interface StageWatchdogOptions {
  readonly sessionTimeoutMs: number;
  readonly stuckAfterMs?: number | undefined;
  readonly checkEveryMs?: number | undefined;
  /** Where the stage's health is shown (/healthz, /readyz). */
  readonly board?: StageHealthBoard | undefined;
  readonly clock?: Clock | undefined;
}

export type StageExit = { readonly kind: 'stopped' } | { readonly kind: 'failed'; readonly error: Error };

const DEFAULT_CHUNK = 500;
const DEFAULT_LINGER_MS = 100;
/** How long a failed stage waits for its work in flight to finish before it reports the failure. */
const FAILED_DRAIN_MS = 15_000;
/** A failed offset commit is sent again after this long (when nothing newer was noted meanwhile). */
const COMMIT_RETRY_MS = 1_000;

/**
 * One stage instance's delivery, independent of the Kafka client: each assigned partition's
 * batches are cut into chunks, and each chunk is decoded, handled, encoded and written, and only
 * then are its offsets committed. At-least-once writes through an acknowledged sink and commits
 * offsets afterwards; exactly-once writes records and offsets in one transaction. Partitions run
 * side by side, each in order. Systemic trouble (registry or broker down) pauses the source and
 * retries the chunk with backoff; it never turns into dead letters. A partition given up in a
 * rebalance finishes its chunk and commits before it goes; stop() drains the same way.
 */
export class StageEngine {
  readonly exited: Promise<StageExit>;
  private resolveExit!: (exit: StageExit) => void;
  private readonly lanes = new PartitionLanes();
  private readonly holder: RecordHolder | undefined;
  private readonly writer: ChunkWriter;
  /** Exactly-once: each partition's committed offset when assigned; records before it are written already. */
  private readonly floors = new StartFloors();
  /** Per partition: the offset after the last chunk written. */
  private readonly positions = new Map<string, string>();
  /** At-least-once: how far each partition's outputs are acknowledged, kept when the partition is lost. */
  private readonly written = new WrittenOffsets();
  /** Partitions being given up in order: their chunk in flight may still commit what it wrote. */
  private readonly revoking = new Set<string>();
  private readonly tally: StageTally;
  private readonly lag: ConsumerLagGauge;
  private readonly inFlight = new Set<Promise<unknown>>();
  private busy = 0;
  private outages = 0;
  private draining = false;
  private stopping: Promise<void> | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** What moved when, per partition: the watchdog's evidence, /readyz's detail. */
  readonly progress: PartitionProgress;
  private readonly watchdog: ProgressWatchdog | undefined;

  constructor(private readonly options: StageEngineOptions) {
    const { transport, delivery, logger, stage } = options;
    const watch = options.watchdog;
    this.progress = new PartitionProgress(watch?.clock === undefined ? {} : { clock: watch.clock });
    this.watchdog =
      watch === undefined
        ? undefined
        : new ProgressWatchdog({
            stage,
            source: transport.source,
            progress: this.progress,
            sessionTimeoutMs: watch.sessionTimeoutMs,
            stuckAfterMs: watch.stuckAfterMs,
            checkEveryMs: watch.checkEveryMs,
            clock: watch.clock,
            logger,
            board: watch.board,
            onStuck: (error) => this.fail(error),
          });
    this.holder = options.pipeline.holder;
    this.writer = chunkWriter(delivery === 'exactly-once', {
      stage,
      transport,
      logger,
      owns: (key) => this.stopping === undefined && this.lanes.isOpen(key),
      busy: () => this.busy,
      transactionLingerMs: options.transactionLingerMs ?? DEFAULT_LINGER_MS,
      commitRetryMs: COMMIT_RETRY_MS,
    });
    this.tally = new StageTally(stage);
    this.lag = new ConsumerLagGauge(stage);
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get counters(): Readonly<StageCounters> {
    return this.tally.counters;
  }

  /** Joins the group; resolves once the first assignment arrived. */
  async start(): Promise<void> {
    const { transport, logger, stage, delivery } = this.options;
    await transport.source.start(this.listener());
    this.watchdog?.start();
    if (this.holder !== undefined) {
      const holder = this.holder;
      this.expiryTimer = setInterval(() => this.expireHeld(holder), holder.expiryCheckMs);
    }
    logger.info('stage running', { stage, delivery, partitions: this.lanes.openKeys().join(',') });
  }

  /** Finishes the chunks in flight, commits what was written, leaves the group. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown().then(() => this.resolveExit({ kind: 'stopped' }));
    return this.stopping;
  }

  /**
   * Resolves once the work queued so far has ended and what it wrote is committed (the in-memory
   * test driver waits for this; a running service never needs to).
   */
  async settled(): Promise<void> {
    await this.lanes.settled();
    await Promise.allSettled([...this.inFlight]);
    await this.writer.flush();
  }

  /** Writes now what the handler's holder lets go of (collect's timeout); a timer does it in a service. */
  expireHeldNow(): void {
    if (this.holder !== undefined) this.expireHeld(this.holder);
  }

  /**
   * Replaces the stage's Kafka client (a new consumer joins the group; work in flight is redone
   * from the committed offsets), for a client found broken from outside. A failed restart fails
   * the stage.
   */
  restartClient(reason: string): void {
    if (this.stopping !== undefined) return;
    this.options.logger.warn('restarting the stage\'s Kafka client', { stage: this.options.stage, reason });
    this.options.transport.source.restart().catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
  }

  /** The partitions this instance owns now, as `topic/partition`. */
  ownedPartitions(): readonly string[] {
    return this.lanes.openKeys();
  }

  private listener(): SourceListener {
    return {
      batch: (batch) => this.onBatch(batch),
      assigned: (partitions) => this.onAssigned(partitions),
      // At-least-once: partitions lost with their commit unlanded start after the work written (WrittenOffsets).
      resumeFrom: (partitions, committed) =>
        this.options.delivery === 'at-least-once'
          ? this.written.resumeFrom(partitions, committed, this.options.transport.offsets, this.options.logger, this.options.stage)
          : Promise.resolve(new Map()),
      revoking: (partitions) => this.onRevoking(partitions),
      lost: (partitions) => this.onLost(partitions),
      failed: (error) => this.fail(error),
    };
  }

  private onAssigned(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    const member = this.options.transport.source.membership().member;
    for (const { topic, partition } of partitions) this.lanes.open(partitionKey(topic, partition));
    this.progress.assigned(partitions);
    this.options.logger.info('joined consumer group', {
      stage: this.options.stage,
      member: member?.memberId ?? '',
      generation: member?.generationId ?? -1,
      partitions: keysOf(partitions).join(','),
    });
    if (this.options.delivery === 'exactly-once') {
      // A transaction of the previous owner may still be about to move these offsets: read them
      // stably, and only once this instance's own earlier work on them has ended (kafkajs hands a
      // partition straight back without waiting for the revoked chunk, which may be committing).
      this.floors.assign(partitions, this.lanes.settled(keysOf(partitions)), () =>
        retryWithBackoff(() => this.options.transport.offsets.committed(partitions), { ...this.options.retry, shouldStop: () => this.draining }),
      );
    }
    this.lag.retain(new Set(this.lanes.openKeys()));
  }

  private async onRevoking(partitions: readonly TopicPartition[]): Promise<void> {
    const keys = keysOf(partitions);
    for (const key of keys) {
      this.revoking.add(key);
      this.lanes.close(key);
    }
    await this.lanes.settled(keys);
    // What was written is committed before the partitions go: their next owner starts after it.
    await this.writer.flush();
    for (const key of keys) this.revoking.delete(key);
    this.release(keys);
    if (keys.length > 0) this.options.logger.info('partitions revoked', { stage: this.options.stage, partitions: keys.join(',') });
  }

  private onLost(partitions: readonly TopicPartition[]): void {
    const keys = keysOf(partitions);
    for (const key of keys) {
      this.revoking.delete(key);
      this.lanes.close(key);
    }
    this.writer.forget(keys);
    this.release(keys);
    if (keys.length > 0) this.options.logger.warn('partitions lost: their unfinished work is redone by their next owner', { stage: this.options.stage, partitions: keys.join(',') });
  }

  private release(keys: readonly string[]): void {
    // A partition assigned again meanwhile (an eager rebalance hands most back) keeps its new state.
    const released = keys.filter((owned) => !this.lanes.isOpen(owned));
    this.progress.released(released.map(partitionOfKey));
    this.writer.forget(released);
    for (const key of released) {
      this.floors.release(key);
      this.positions.delete(key);
      const { topic, partition } = partitionOfKey(key);
      this.holder?.release(topic, partition);
    }
    this.lag.retain(new Set(this.lanes.openKeys()));
  }

  private onBatch(batch: SourceBatch): Promise<void> {
    if (this.draining || batch.records.length === 0) return Promise.resolve();
    const key = partitionKey(batch.topic, batch.partition);
    this.progress.fetched(batch, batch.highWatermark);
    const queued = this.lanes.enqueue(key, (isCurrent) => this.processBatch(batch, key, isCurrent));
    if (queued === undefined) return Promise.resolve();
    this.track(queued.done.catch((error: unknown) => this.onWorkFailed(error, [batch])));
    // The source fetches this partition's next batch while this one runs: at most two queued per partition.
    return queued.previous;
  }

  private onWorkFailed(error: unknown, partitions: readonly TopicPartition[]): void {
    if (isOwnershipLost(error)) {
      const lost = ownershipOf(error, partitions);
      this.options.logger.warn('partitions are another member\'s now', { stage: this.options.stage, partitions: keysOf(lost).join(','), reason: error.message });
      this.onLost(lost);
      this.options.transport.source.ownershipLost(lost);
      return;
    }
    this.fail(error instanceof Error ? error : new Error(String(error)));
  }

  /** Processes a batch chunk by chunk; false when it stopped before its end. */
  private async processBatch(batch: SourceBatch, key: string, isCurrent: () => boolean): Promise<boolean> {
    const shouldStop = (): boolean => this.draining || this.stopping !== undefined || !isCurrent();
    const floor = await this.floors.floor(key);
    const chunkSize = this.options.maxBatchSize ?? DEFAULT_CHUNK;
    for (let start = 0; start < batch.records.length; start += chunkSize) {
      // Each chunk starts on a turn of its own: the chunks of every partition would otherwise run
      // back to back as promise callbacks, blocking timers and I/O meanwhile.
      await nextTurn();
      if (shouldStop()) return false;
      const slice = batch.records.slice(start, start + chunkSize);
      const last = slice[slice.length - 1];
      if (last === undefined) return true;
      const chunk = floor === undefined ? slice : slice.filter((record) => BigInt(record.offset) >= floor);
      const next = (BigInt(last.offset) + 1n).toString();
      if (chunk.length === 0) continue;
      if (!(await this.deliver(chunk, next, isCurrent, shouldStop))) return false;
      if (batch.highWatermark !== undefined) this.lag.update(batch.topic, batch.partition, batch.highWatermark, next);
    }
    return true;
  }

  /** Processes and writes one chunk, retrying systemic failures; false when abandoned while stopping. */
  private async deliver(chunk: readonly SourceRecord[], next: string, isCurrent: () => boolean, shouldStop: () => boolean): Promise<boolean> {
    const { pipeline, logger, stage } = this.options;
    const first = chunk[0];
    if (first === undefined) return true;
    const { topic, partition } = first;
    const outage = { active: false };
    this.busy += 1;
    try {
      await retryWithBackoff(
        async () => {
          const restore = this.holder?.checkpoint(topic, partition);
          let outcome: BatchOutcome;
          try {
            // Written inside the chunk's span: the trace shows the produce as part of the batch.
            outcome = await pipeline.processBatch(chunk, (processed) => this.write({ topic, partition }, processed.outgoing, first.offset, next, isCurrent));
          } catch (error) {
            // Not written: the holder forgets this chunk, and the retry starts from the same state.
            restore?.();
            throw error;
          }
          this.tally.count(topic, outcome, outcome.processed);
        },
        {
          ...this.options.retry,
          shouldStop,
          beforeWait: async (error, attempt, delayMs) => {
            if (!outage.active) {
              outage.active = true;
              this.enterOutage();
            }
            this.progress.retrying({ topic, partition }, delayMs);
            logger.warn('systemic failure, pausing and retrying', { stage, topic, partition, attempt, retryInMs: Math.round(delayMs), error: describe(error) });
            await this.options.beforeRetry?.(error).catch(() => undefined);
          },
        },
      );
      return true;
    } catch (error) {
      if (isOwnershipLost(error)) throw error;
      if (error instanceof StageFailure) throw error;
      // Stopping while the world was broken: not committed, read again later.
      if (isKascadeError(error) && error.retriable) return false;
      throw error;
    } finally {
      this.busy -= 1;
      if (outage.active) this.leaveOutage();
    }
  }

  /**
   * Writes a chunk's outgoing records and moves the partition's offset to `next`, or, for a
   * holder, to the first record it still holds if that comes earlier.
   */
  private async write(source: TopicPartition, outgoing: readonly OutgoingRecord[], from: string, next: string, isCurrent: () => boolean): Promise<void> {
    const key = partitionKey(source.topic, source.partition);
    const held = this.holder?.heldFrom(source.topic, source.partition);
    const commitAt = held !== undefined && BigInt(held) < BigInt(next) ? held : next;
    // At-least-once, a chunk that was running when its partition was revoked in order commits what
    // it wrote (else the next owner writes it again); exactly-once writes nothing after the close.
    const committable = this.options.delivery === 'at-least-once' ? (): boolean => isCurrent() || this.revoking.has(key) : isCurrent;
    await this.writer.write(outgoing, { ...source, offset: commitAt }, from, committable);
    if (this.options.delivery === 'at-least-once') this.written.wrote({ ...source, offset: commitAt });
    this.positions.set(key, next);
    this.progress.acknowledged(source);
    // Transactions committed the offset with the records; the committer sends it shortly.
    this.progress.committed(source, commitAt);
  }

  /** Writes what the holder lets go of on its own schedule (collect's timeout), in each partition's lane. */
  private expireHeld(holder: RecordHolder): void {
    for (const { topic, partition } of holder.heldPartitions()) {
      const key = partitionKey(topic, partition);
      const queued = this.lanes.enqueue(key, async (isCurrent) => {
        const next = this.positions.get(key);
        if (next === undefined || !isCurrent() || this.stopping !== undefined) return true;
        const restore = holder.checkpoint(topic, partition);
        this.busy += 1;
        try {
          const outcome = await this.options.pipeline.expire(topic, partition);
          if (outcome.outgoing.length === 0) return true;
          // Nothing new was read: the records written are of offsets before `next`.
          await this.write({ topic, partition }, outcome.outgoing, next, next, isCurrent);
          this.tally.count(topic, outcome, 0);
        } catch (error) {
          restore();
          // `onError: fail` stops the stage here as it does for a batch; anything else is retried next time.
          if (isOwnershipLost(error) || (isKascadeError(error) && !error.retriable)) throw error;
          this.options.logger.warn('could not write timed-out records, retrying', { stage: this.options.stage, topic, partition, error: describe(error) });
        } finally {
          this.busy -= 1;
        }
        return true;
      });
      if (queued !== undefined) this.track(queued.done.catch((error: unknown) => this.onWorkFailed(error, [{ topic, partition }])));
    }
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private fail(error: Error): void {
    if (this.stopping !== undefined) return;
    const where = error instanceof StageFailure ? { topic: error.source.topic, partition: error.source.partition, offset: error.source.offset } : {};
    this.options.logger.error('stage failed', { stage: this.options.stage, ...where, error: error.message });
    // A stuck stage may never finish its drain: the failure is reported regardless after a while.
    const drained = this.shutdown().catch(() => undefined);
    this.stopping = Promise.race([drained, delay(FAILED_DRAIN_MS, undefined, { ref: false })]).then(() => this.resolveExit({ kind: 'failed', error }));
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.expiryTimer);
    this.watchdog?.stop();
    const { transport } = this.options;
    // Chunks in flight finish and commit before the group is left: a written chunk left uncommitted is written again.
    this.draining = true;
    await this.lanes.settled();
    await Promise.allSettled([...this.inFlight]);
    await this.writer.flush().catch(() => undefined);
    await transport.source.stop();
    await this.writer.close();
    this.lag.close();
    this.options.logger.info('stage stopped', { stage: this.options.stage, ...this.tally.counters, ...this.options.stats?.() });
  }

  /** While any partition is in an outage, fetching stops for every partition (no work piles up). */
  private enterOutage(): void {
    if (this.outages++ === 0) this.options.transport.source.pause();
  }

  private leaveOutage(): void {
    if (--this.outages === 0) this.options.transport.source.resume();
  }
}

function keysOf(partitions: readonly TopicPartition[]): string[] {
  return partitions.map(({ topic, partition }) => partitionKey(topic, partition));
}

function ownershipOf(error: OwnershipLostError, fallback: readonly TopicPartition[]): readonly TopicPartition[] {
  return error.partitions !== undefined && error.partitions.length > 0 ? error.partitions : fallback;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
