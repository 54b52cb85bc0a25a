import { systemClock, type Clock } from '../clock.js';
import { partitionKey, type TopicPartition } from './ports.js';

/**
 * Per input partition of one stage: when it last made progress and how far behind it is. The
 * delivery engine reports what happens; the progress watchdog (watchdog.ts), /readyz and the
 * `kascade.stage.partition.progress_age` gauge read it.
 *
 * Progress is a fetch, records written (acknowledged) or a commit. A partition is
 *  - idle when nothing waits on it (lag 0, or unknown: no fetch said otherwise): never stuck;
 *  - stuck when records wait (lag > 0) and it made no progress for `stuckAfterMs`;
 *  - retrying when the engine waits out an outage for it (the broker or the registry is down,
 *    the source paused on purpose). Each retry attempt counts as activity, so a partition whose
 *    retries keep coming is not stuck; it is once the retries stop (an attempt that hangs) and
 *    nothing else moves for `stuckAfterMs`. The seconds since progress keep growing meanwhile
 *    (the gauge and /readyz show the outage); only the stuck verdict spares it.
 *
 * Events about a partition that is not assigned (late, after its release) are ignored.
 */

/** What is known of one assigned partition, as of `now`. */
export interface PartitionProgressState extends TopicPartition {
  /** Records behind the high watermark as last reported; undefined until something said. */
  readonly lag: number | undefined;
  /** Milliseconds since the epoch. */
  readonly assignedAt: number;
  /** Milliseconds since the epoch of the last fetch, write or commit; undefined when none since assignment. */
  readonly lastProgressAt: number | undefined;
  /** Seconds since the last progress, or since the assignment when none. */
  readonly secondsSinceProgress: number;
  /** The engine retried an outage for it since its last progress. */
  readonly retrying: boolean;
  /** The committed offset (next to read) last reported, as a decimal string. */
  readonly committedOffset: string | undefined;
}

/** An assigned partition with records waiting and no progress (nor retry) for at least the limit. */
export interface StuckPartition extends TopicPartition {
  readonly lag: number;
  /** Seconds since its last progress (or its assignment). */
  readonly secondsWithoutProgress: number;
}

interface Entry {
  readonly topic: string;
  readonly partition: number;
  readonly assignedAt: number;
  lastProgressAt: number | undefined;
  /** When the retry announced last will have its next attempt (ms since the epoch). */
  retryActivityAt: number | undefined;
  lag: number | undefined;
  highWatermark: bigint | undefined;
  committed: bigint | undefined;
}

export interface PartitionProgressOptions {
  readonly clock?: Clock;
}

const toMillis = (at: Date | number): number => (typeof at === 'number' ? at : at.getTime());

export class PartitionProgress {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  /** A retry of the whole stage (the source paused for an outage): applies to every partition. */
  private stageRetryActivityAt: number | undefined;
  private lastAnyProgressAt: number | undefined;

  constructor(options: PartitionProgressOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  // ---- what the engine reports ----

  /** Partitions this member now owns (SourceListener.assigned). Their clock starts now; a partition assigned again starts afresh. */
  assigned(partitions: readonly TopicPartition[]): void {
    const now = this.now();
    for (const { topic, partition } of partitions) {
      this.entries.set(partitionKey(topic, partition), {
        topic,
        partition,
        assignedAt: now,
        lastProgressAt: undefined,
        retryActivityAt: undefined,
        lag: undefined,
        highWatermark: undefined,
        committed: undefined,
      });
    }
  }

  /** Partitions given up: revoked in an orderly rebalance or lost. */
  released(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.entries.delete(partitionKey(topic, partition));
  }

  /**
   * A batch fetched (not progress: see below). With the partition's high watermark and a committed offset
   * known, the lag becomes their difference.
   */
  fetched(tp: TopicPartition, highWatermark?: string | bigint): void {
    // Not progress: records fetched and never written are what a stuck stage looks like
    // (a wedged model call; after a restart, the same partition fetched again).
    const entry = this.entry(tp);
    if (entry === undefined || highWatermark === undefined) return;
    entry.highWatermark = BigInt(highWatermark);
    if (entry.committed !== undefined) entry.lag = difference(entry.highWatermark, entry.committed);
  }

  /** Records of the partition were written and acknowledged (progress). */
  acknowledged(tp: TopicPartition): void {
    this.progress(tp);
  }

  /** The next offset to read was committed (progress). With a high watermark known, the lag becomes their difference. */
  committed(tp: TopicPartition, offset: string | bigint): void {
    const entry = this.progress(tp);
    if (entry === undefined) return;
    entry.committed = BigInt(offset);
    if (entry.highWatermark !== undefined) entry.lag = difference(entry.highWatermark, entry.committed);
  }

  /** Records behind the high watermark (not progress by itself). May come from a fetch or a periodic lag probe. */
  lag(tp: TopicPartition, records: number): void {
    const entry = this.entry(tp);
    if (entry !== undefined) entry.lag = Math.max(0, records);
  }

  /**
   * The engine is retrying an outage for this partition: an attempt failed with a retriable
   * error and the next comes in `nextAttemptInMs` (the backoff it is about to wait). Not
   * progress, but the partition is not stuck while the attempts keep coming.
   */
  retrying(tp: TopicPartition, nextAttemptInMs = 0): void {
    const entry = this.entry(tp);
    if (entry !== undefined) entry.retryActivityAt = Math.max(entry.retryActivityAt ?? 0, this.now() + Math.max(0, nextAttemptInMs));
  }

  /** Like `retrying` for every partition: the source is paused for an outage of the whole stage. */
  retryingAll(nextAttemptInMs = 0): void {
    this.stageRetryActivityAt = Math.max(this.stageRetryActivityAt ?? 0, this.now() + Math.max(0, nextAttemptInMs));
  }

  // ---- queries ----

  /** Every assigned partition, in assignment order. */
  partitions(now: Date | number = this.now()): PartitionProgressState[] {
    const at = toMillis(now);
    return [...this.entries.values()].map((entry) => this.state(entry, at));
  }

  /** One assigned partition; undefined when it is not assigned. */
  partition(tp: TopicPartition, now: Date | number = this.now()): PartitionProgressState | undefined {
    const entry = this.entry(tp);
    return entry === undefined ? undefined : this.state(entry, toMillis(now));
  }

  /** Seconds since the partition's last progress (or assignment); undefined when not assigned. */
  secondsSinceProgress(tp: TopicPartition, now: Date | number = this.now()): number | undefined {
    return this.partition(tp, now)?.secondsSinceProgress;
  }

  /** The partition's last known lag; undefined when unknown or not assigned. */
  lagOf(tp: TopicPartition): number | undefined {
    return this.entry(tp)?.lag;
  }

  /** When any partition last made progress (ms since the epoch); undefined when none did since this tracker was made. */
  lastProgressAt(): number | undefined {
    return this.lastAnyProgressAt;
  }

  /** The assigned partitions with records waiting (lag > 0) and neither progress nor a retry for at least `stuckAfterMs`. */
  stuckPartitions(now: Date | number, stuckAfterMs: number): StuckPartition[] {
    const at = toMillis(now);
    const stuck: StuckPartition[] = [];
    for (const entry of this.entries.values()) {
      if (entry.lag === undefined || entry.lag <= 0) continue;
      if (at - this.lastActivity(entry) < stuckAfterMs) continue;
      stuck.push({ topic: entry.topic, partition: entry.partition, lag: entry.lag, secondsWithoutProgress: seconds(at - (entry.lastProgressAt ?? entry.assignedAt)) });
    }
    return stuck;
  }

  // ---- inside ----

  private now(): number {
    return this.clock.now().getTime();
  }

  private entry(tp: TopicPartition): Entry | undefined {
    return this.entries.get(partitionKey(tp.topic, tp.partition));
  }

  private progress(tp: TopicPartition): Entry | undefined {
    const entry = this.entry(tp);
    if (entry === undefined) return undefined;
    const now = this.now();
    entry.lastProgressAt = now;
    this.lastAnyProgressAt = now;
    return entry;
  }

  /** The later of the last progress (or assignment) and the next attempt of a retry announced. */
  private lastActivity(entry: Entry): number {
    return Math.max(entry.lastProgressAt ?? entry.assignedAt, entry.retryActivityAt ?? 0, this.stageRetryActivityAt ?? 0);
  }

  private state(entry: Entry, at: number): PartitionProgressState {
    const progressAt = entry.lastProgressAt ?? entry.assignedAt;
    const retryAt = Math.max(entry.retryActivityAt ?? 0, this.stageRetryActivityAt ?? 0);
    return {
      topic: entry.topic,
      partition: entry.partition,
      lag: entry.lag,
      assignedAt: entry.assignedAt,
      lastProgressAt: entry.lastProgressAt,
      secondsSinceProgress: seconds(at - progressAt),
      retrying: retryAt > progressAt,
      committedOffset: entry.committed?.toString(),
    };
  }
}

function difference(highWatermark: bigint, next: bigint): number {
  return highWatermark > next ? Number(highWatermark - next) : 0;
}

/** Milliseconds to seconds, never negative, to the millisecond. */
function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
