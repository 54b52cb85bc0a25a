import { ErrorCode, KascadeError } from '../../errors.js';
import { silentLogger, type Logger } from '../../telemetry/logger.js';
import { ProgressAgeGauge } from '../../telemetry/progress-age.js';
import type { StageHealth, StageHealthBoard } from '../../telemetry/stage-health.js';
import { systemClock, type Clock } from '../clock.js';
import { partitionKey, type Membership, type RecordSource, type TopicPartition } from './ports.js';
import type { PartitionProgress, StuckPartition } from './progress.js';

/** No progress on a partition with records waiting for this long makes it stuck (topology `consumer.stuckAfterMs`). */
export const DEFAULT_STUCK_AFTER_MS = 120_000;
export const DEFAULT_CHECK_EVERY_MS = 5_000;

export interface ProgressWatchdogOptions {
  readonly stage: string;
  /** The stage's record source: its membership is watched, `restart()` is the first remedy. */
  readonly source: Pick<RecordSource, 'membership' | 'restart'>;
  /** The tracker the engine reports to. */
  readonly progress: PartitionProgress;
  /** The group's session timeout: out of the group for more than two of them is stuck. */
  readonly sessionTimeoutMs: number;
  /** Default 120 s (`DEFAULT_STUCK_AFTER_MS`). */
  readonly stuckAfterMs?: number | undefined;
  /** How often `start()` checks; default 5 s. */
  readonly checkEveryMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  /**
   * The stage is stuck and a restart of its client did not help (or failed): the stage must
   * fail with this error (code `KASCADE_STAGE_STUCK`). Called at most once; must not throw.
   */
  readonly onStuck: (error: KascadeError) => void;
  /** Where `start()` registers the stage's health for /healthz and /readyz. */
  readonly board?: StageHealthBoard | undefined;
  /** Observe `kascade.stage.partition.progress_age` while started (default true). */
  readonly metrics?: boolean | undefined;
}

/** A stuck condition the watchdog restarted the client for, followed until it clears or the stage fails. */
interface Incident {
  readonly description: string;
  readonly kind: 'partitions' | 'membership';
  /** When the restart began (progress after it clears a partition) and when it finished (the grace runs from then). */
  readonly startedAt: number;
  finishedAt: number | undefined;
  /** The stuck partitions not yet seen moving again, with the lag they had. */
  readonly pending: Map<string, StuckPartition>;
}

/**
 * Watches one stage for being alive but stuck: records waiting on a partition and no progress
 * for `stuckAfterMs` (see PartitionProgress for what counts; a partition whose outage the engine
 * keeps retrying is not stuck), or out of its consumer group for more than two session timeouts.
 *
 * The first remedy is `source.restart()` (a new client joins the group again), with a warning
 * naming the stage, the partitions and the seconds without progress. When the same partitions
 * (still assigned to this member) have not moved `stuckAfterMs` after the restart, when others got
 * stuck meanwhile, when the member is still out of its group, or when the restart throws or does
 * not finish, the stage fails: `onStuck` gets a `KASCADE_STAGE_STUCK` error and `health()` says
 * unhealthy (so /healthz answers 503). Once the stuck partitions move again (or are owned by
 * another member, or retried) the incident is over, and a later one gets its own restart.
 *
 * Start it once the source's first assignment arrived (`source.start()` resolved) and stop it
 * before stopping the source: leaving the group on purpose is not stuck.
 */
export class ProgressWatchdog {
  private readonly stuckAfterMs: number;
  private readonly checkEveryMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private gauge: ProgressAgeGauge | undefined;
  private unregister: (() => void) | undefined;
  private incident: Incident | undefined;
  private restarting = false;
  private failure: KascadeError | undefined;
  private stopped = false;

  constructor(private readonly options: ProgressWatchdogOptions) {
    this.stuckAfterMs = options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
    this.checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
    if (!(this.stuckAfterMs > 0) || !(this.checkEveryMs > 0) || !(options.sessionTimeoutMs > 0)) {
      throw new RangeError('stuckAfterMs, checkEveryMs and sessionTimeoutMs must be positive');
    }
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Checks every `checkEveryMs` (an unref'd timer), registers the health and the gauge. Idempotent. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      void this.check();
    }, this.checkEveryMs);
    this.timer.unref();
    if (this.options.metrics !== false) {
      this.gauge = new ProgressAgeGauge(this.options.stage, () =>
        this.options.progress.partitions(this.now()).map(({ topic, partition, secondsSinceProgress }) => ({ topic, partition, seconds: secondsSinceProgress })),
      );
    }
    this.unregister = this.options.board?.add(() => this.health());
  }

  /**
   * Stops checking and observing. The stage leaves the health board, unless it failed: a stage
   * stuck beyond repair keeps /healthz failing until the process is restarted. Idempotent.
   */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.gauge?.close();
    this.gauge = undefined;
    if (this.failure === undefined) this.unregister?.();
    this.unregister = undefined;
  }

  /** The failure handed to `onStuck`, if any. */
  failed(): KascadeError | undefined {
    return this.failure;
  }

  /**
   * One check (the timer calls it; tests and the engine may too). Resolves once a restart it
   * started is over. Never rejects.
   */
  async check(): Promise<void> {
    if (this.stopped || this.failure !== undefined) return;
    try {
      await this.checkNow();
    } catch (error) {
      this.fail(`its watchdog failed: ${messageOf(error)}`, error);
    }
  }

  /** The stage's health for /healthz and /readyz, as of now. */
  health(): StageHealth {
    const now = this.now();
    const membership = this.options.source.membership();
    const stuck = new Set(this.options.progress.stuckPartitions(now, this.stuckAfterMs).map(keyOf));
    const partitions = this.options.progress.partitions(now).map((state) => ({
      topic: state.topic,
      partition: state.partition,
      lag: state.lag,
      secondsSinceProgress: state.secondsSinceProgress,
      retrying: state.retrying,
      stuck: stuck.has(keyOf(state)),
    }));
    const healthy = this.failure === undefined;
    const ready = healthy && membership.inGroup && !this.restarting;
    return {
      stage: this.options.stage,
      healthy,
      ready,
      reason: this.reason(now, membership, stuck.size),
      inGroup: membership.inGroup,
      memberId: membership.member?.memberId,
      generationId: membership.member?.generationId,
      secondsSinceMembershipChange: seconds(now - membership.since),
      partitions,
    };
  }

  // ---- inside ----

  private async checkNow(): Promise<void> {
    const now = this.now();
    if (this.restarting) {
      const incident = this.incident;
      if (incident !== undefined && now - incident.startedAt >= this.graceMs()) {
        this.fail(`${incident.description}; the restart of its client did not finish within ${formatSeconds(now - incident.startedAt)} s`);
      }
      return;
    }
    const membership = this.options.source.membership();
    const stuck = this.options.progress.stuckPartitions(now, this.stuckAfterMs);
    if (this.incident !== undefined) {
      this.followUp(this.incident, now, membership, stuck);
      return;
    }
    if (stuck.length > 0) {
      await this.restart(now, 'partitions', stuck, `no progress on ${describePartitions(stuck)} for at least ${formatSeconds(this.stuckAfterMs)} s`);
    } else if (this.outOfGroupTooLong(now, membership)) {
      await this.restart(now, 'membership', [], `out of its consumer group for ${formatSeconds(now - membership.since)} s (more than two session timeouts of ${formatSeconds(this.options.sessionTimeoutMs)} s)`);
    }
  }

  private async restart(now: number, kind: Incident['kind'], stuck: readonly StuckPartition[], description: string): Promise<void> {
    const incident: Incident = { description, kind, startedAt: now, finishedAt: undefined, pending: new Map(stuck.map((entry) => [keyOf(entry), entry])) };
    this.incident = incident;
    this.restarting = true;
    this.logger.warn('stage stuck: restarting its consumer', {
      stage: this.options.stage,
      reason: description,
      partitions: stuck.map(label).join(','),
      secondsWithoutProgress: Math.max(0, ...stuck.map((entry) => entry.secondsWithoutProgress)),
    });
    try {
      await this.options.source.restart();
    } catch (error) {
      this.restarting = false;
      if (!this.stopped) this.fail(`${description}; the restart of its client failed: ${messageOf(error)}`, error);
      return;
    }
    this.restarting = false;
    incident.finishedAt = this.now();
  }

  /** After a restart: clear the incident once its partitions move again, fail when they (or others) are still stuck after the grace. */
  private followUp(incident: Incident, now: number, membership: Membership, stuck: readonly StuckPartition[]): void {
    const { progress } = this.options;
    for (const [key, entry] of incident.pending) {
      const state = progress.partition(entry, now);
      if (state === undefined) continue; // not assigned (yet, or to another member): settled at the deadline
      const moved = state.lastProgressAt !== undefined && state.lastProgressAt > incident.startedAt;
      if (moved || state.lag === 0 || state.retrying) incident.pending.delete(key);
    }
    const since = incident.finishedAt ?? incident.startedAt;
    const elapsed = now - since;
    const settled = incident.pending.size === 0 && stuck.length === 0 && membership.inGroup;
    if (settled) {
      this.recovered(incident, now);
      return;
    }
    if (elapsed < this.stuckAfterMs) return;
    if (!membership.inGroup) {
      if (elapsed >= this.graceMs()) {
        this.fail(`${incident.description}; ${formatSeconds(now - since)} s after a restart of its client it is still out of its consumer group`);
      }
      return;
    }
    // Pending partitions this member no longer owns are another member's now.
    const stillStuck = new Map<string, StuckPartition>();
    for (const [key, entry] of incident.pending) {
      const state = progress.partition(entry, now);
      if (state === undefined) continue;
      // Assigned anew by the restart, a partition has no progress of its own yet: count from before it.
      const secondsWithoutProgress = state.lastProgressAt === undefined ? entry.secondsWithoutProgress + seconds(now - incident.startedAt) : seconds(now - state.lastProgressAt);
      stillStuck.set(key, { ...entry, lag: state.lag ?? entry.lag, secondsWithoutProgress });
    }
    for (const entry of stuck) stillStuck.set(keyOf(entry), entry);
    if (stillStuck.size === 0) {
      this.recovered(incident, now);
      return;
    }
    const partitions = [...stillStuck.values()];
    this.fail(`no progress on ${describePartitions(partitions)}, and a restart of its client ${formatSeconds(now - incident.startedAt)} s ago did not help`);
  }

  private recovered(incident: Incident, now: number): void {
    this.incident = undefined;
    this.logger.info('stage moving again after a restart of its consumer', { stage: this.options.stage, reason: incident.description, secondsSinceRestart: seconds(now - incident.startedAt) });
  }

  private fail(message: string, cause?: unknown): void {
    if (this.failure !== undefined) return;
    const error = new KascadeError(ErrorCode.StageStuck, `stage ${this.options.stage} is stuck: ${message}`, cause === undefined ? {} : { cause });
    this.failure = error;
    this.incident = undefined;
    this.clearTimer();
    this.logger.error('stage stuck: failing it', { stage: this.options.stage, error: error.message });
    try {
      this.options.onStuck(error);
    } catch (error_) {
      this.logger.error('onStuck threw', { stage: this.options.stage, error: messageOf(error_) });
    }
  }

  private outOfGroupTooLong(now: number, membership: Membership): boolean {
    return !membership.inGroup && now - membership.since > 2 * this.options.sessionTimeoutMs;
  }

  /** How long a restart may take, and a restarted member may stay out of its group. */
  private graceMs(): number {
    return Math.max(this.stuckAfterMs, 2 * this.options.sessionTimeoutMs);
  }

  private reason(now: number, membership: Membership, stuckCount: number): string | undefined {
    if (this.failure !== undefined) return this.failure.message;
    const incident = this.incident;
    if (this.restarting && incident !== undefined) return `restarting its consumer: ${incident.description}`;
    if (incident !== undefined) return `restarted its consumer ${formatSeconds(now - incident.startedAt)} s ago (${incident.description}); waiting for progress`;
    if (!membership.inGroup) return `not in its consumer group (for ${formatSeconds(now - membership.since)} s)`;
    if (stuckCount > 0) return `${stuckCount} partition(s) without progress for ${formatSeconds(this.stuckAfterMs)} s or more`;
    return undefined;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function keyOf(tp: TopicPartition): string {
  return partitionKey(tp.topic, tp.partition);
}

function label(tp: TopicPartition): string {
  return `${tp.topic}[${tp.partition}]`;
}

/** `orders[0] (lag 120, 130 s without progress), orders[3] (lag 5, 125 s without progress)` */
function describePartitions(partitions: readonly StuckPartition[]): string {
  return partitions.map((entry) => `${label(entry)} (lag ${entry.lag}, ${formatSeconds(entry.secondsWithoutProgress * 1000)} s without progress)`).join(', ');
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}

function formatSeconds(ms: number): string {
  return String(Math.round(Math.max(0, ms) / 1000));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
