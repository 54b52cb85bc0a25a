import { setTimeout as delay } from 'node:timers/promises';
import { Admin, type ConsumerGroupJoinPayload, type GroupAssignment } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import { partitionKey, partitionOfKey, type GroupMember, type Membership, type RecordSource, type SourceListener, type TopicPartition } from '../../runtime/delivery/ports.js';
import { platformaticBaseOptions, stageFetchOptions, type StageFetchTuning } from './platformatic-connection.js';
import { EndOffsetProbe } from './platformatic-end-offsets.js';
import { committedOffsets } from './platformatic-committed.js';
import { unreadableBatchError } from './platformatic-errors.js';
import { GenerationFeed, type StageStream } from './platformatic-generation-feed.js';
import { rawDeserializers, type RawRecordParts } from './platformatic-records.js';
import { PartitionHandover, type Revocation } from './partition-handover.js';
import { ReadCommittedConsumer } from './read-committed-consumer.js';

/** How long a failed client is replaced and rejoined before the stage is told the source cannot go on. */
const RECOVERY_MS = 120_000;
const DEFAULT_HANDOVER_MS = 2_000;

type StageConsumer = ReadCommittedConsumer<RawRecordParts, Buffer | null>;

export interface PlatformaticSourceOptions {
  readonly connection: ConnectionSettings;
  readonly clientId: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly groupInstanceId?: string | undefined;
  /** Where a partition without a committed offset starts: the earliest record (default) or the next one written. */
  readonly fromBeginning?: boolean | undefined;
  readonly tuning?: StageFetchTuning | undefined;
  readonly sessionTimeoutMs?: number | undefined;
  readonly heartbeatIntervalMs?: number | undefined;
  readonly rebalanceTimeoutMs?: number | undefined;
  /** Records fetched and not yet handed to the listener, for all partitions, before the fetch stops. */
  readonly maxBufferedRecords?: number | undefined;
  readonly maxBatchRecords?: number | undefined;
  /**
   * How long a member that gets a partition from another one waits before reading its committed
   * offset, while the previous owner finishes and commits its last work on it (default 2,000 ms).
   */
  readonly handoverMs?: number | undefined;
}

/**
 * A RecordSource on @platformatic/kafka's Consumer, classic group protocol. Not KIP-848: with
 * `groupProtocol: 'consumer'` 1.35.0 keeps the member epoch private (`generationId` stays 0 and
 * the join event has none), so no transactional offset commit could carry it (KIP-447), and it
 * acknowledges a revocation on its next heartbeat without waiting for anything either.
 *
 * - A never-flowing "anchor" stream keeps the topics subscribed for the consumer's life, so the
 *   per-generation streams can be replaced without the library rejoining the group.
 * - After every join, the assigned partitions' committed offsets are read with requireStable and
 *   a new stream starts there (MANUAL mode); the previous generation's stream is closed first and
 *   what it had not handed over is dropped.
 * - The library gives no point to run work before it gives partitions up: when its heartbeat
 *   hears of a rebalance it emits `consumer:group:rebalance` and sends JoinGroup at once. The
 *   source then calls `revoking` for everything it owns (commits of the old generation are still
 *   accepted until every member has rejoined). When the join completes before the listener
 *   finished, the revoked partitions are handed over: this member may still commit them under
 *   its new generation (a classic group checks the generation, not the assignment) for half of
 *   `handoverMs`, and a member that gets a partition from another waits `handoverMs` before it
 *   reads the committed offset. So an orderly rebalance at-least-once writes nothing twice.
 */
export class PlatformaticRecordSource implements RecordSource {
  readonly #options: PlatformaticSourceOptions;
  readonly #admin: Admin;
  #listener: SourceListener | undefined;
  #consumer: StageConsumer | undefined;
  #anchor: StageStream | undefined;
  #feed: GenerationFeed | undefined;
  #owned: TopicPartition[] = [];
  #revocation: Revocation | undefined;
  readonly #handover: PartitionHandover;
  /** Partitions of the generation being started, before their stream runs. */
  #starting: ReadonlySet<string> = new Set();
  #pendingJoin: ConsumerGroupJoinPayload | undefined;
  #joinChain: Promise<void> = Promise.resolve();
  #firstAssignment: (() => void) | undefined;
  #membership: Membership = { inGroup: false, since: Date.now() };
  #paused = false;
  #stopping: Promise<void> | undefined;
  #consumerToken = 0;
  #rejoining: Promise<void> | undefined;
  readonly #endOffsets: EndOffsetProbe;

  get #handoverMs(): number {
    return this.#options.handoverMs ?? DEFAULT_HANDOVER_MS;
  }

  constructor(options: PlatformaticSourceOptions) {
    this.#options = options;
    this.#admin = new Admin({ ...platformaticBaseOptions(options.connection, { clientId: `${options.clientId}-admin` }) });
    this.#endOffsets = new EndOffsetProbe(this.#admin, () => this.#owned);
    this.#handover = new PartitionHandover(this.#handoverMs);
  }

  async start(listener: SourceListener): Promise<void> {
    this.#listener = listener;
    await this.#connect();
    this.#endOffsets.start();
  }

  pause(): void {
    this.#paused = true;
    this.#feed?.setPaused(true);
  }

  resume(): void {
    this.#paused = false;
    this.#feed?.setPaused(false);
  }

  membership(): Membership {
    return this.#membership;
  }

  /**
   * A commit or transaction was refused for partitions this source still hands out (a fenced
   * producer, a generation the coordinator moved past): joining again with a new consumer gets a
   * fresh assignment, read from the committed offsets.
   */
  ownershipLost(): void {
    this.#recover(new Error('a commit or transaction of this member was refused'));
  }

  /**
   * The client failed (a request that exhausted its retries while the broker was away, a
   * refused commit): a new consumer joins the group again, tried with backoff for a while
   * before the stage is told the source cannot go on.
   */
  #recover(cause: Error): void {
    if (this.#stopping !== undefined || this.#rejoining !== undefined) return;
    // Fetched again, the same batch fails the same way: the stage fails and says why.
    const unreadable = unreadableBatchError(this.#options.topics.join(', '), cause);
    if (unreadable !== undefined) {
      this.#listener?.failed(unreadable);
      return;
    }
    this.#rejoining = (async () => {
      const deadline = Date.now() + RECOVERY_MS;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.restart();
          return;
        } catch (error) {
          if (this.#stopping !== undefined) return;
          if (Date.now() > deadline) throw error instanceof Error ? error : new Error(String(error), { cause });
          await delay(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
        }
      }
    })()
      .catch((error: unknown) => this.#listener?.failed(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.#rejoining = undefined;
      });
  }

  /** This member once it has joined a generation after `generationId`; undefined when that takes longer than `timeoutMs`. */
  joinedAfter(generationId: number, timeoutMs: number): Promise<GroupMember | undefined> {
    return this.#handover.joinedAfter(this.#membership.inGroup ? this.#membership.member : undefined, generationId, timeoutMs);
  }

  /** The partitions this member owns now or still hands over (the offset log commits no others). */
  owns(topic: string, partition: number): boolean {
    const key = partitionKey(topic, partition);
    return this.#handover.has(key) || this.#starting.has(key) || this.#owned.some((owned) => owned.topic === topic && owned.partition === partition);
  }

  /** The admin client the offset log reads committed offsets with. */
  get admin(): Admin {
    return this.#admin;
  }

  async restart(): Promise<void> {
    const listener = this.#requireListener();
    this.#closeFeed();
    const owned = this.#owned;
    this.#owned = [];
    this.#revocation = undefined;
    this.#handover.clear();
    if (owned.length > 0) listener.lost(owned);
    await this.#closeConsumer();
    await this.#connect();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#endOffsets.stop();
    const listener = this.#listener;
    this.#feed?.halt();
    const owned = this.#owned;
    if (listener !== undefined && owned.length > 0) {
      await listener.revoking(owned).catch(() => undefined);
    }
    this.#closeFeed();
    this.#owned = [];
    await this.#closeConsumer();
    await this.#admin.close().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const options = this.#options;
    const token = ++this.#consumerToken;
    const consumer: StageConsumer = new ReadCommittedConsumer({
      ...platformaticBaseOptions(options.connection, { clientId: options.clientId }),
      groupId: options.groupId,
      ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      ...stageFetchOptions(options.tuning),
      deserializers: rawDeserializers,
    });
    this.#consumer = consumer;
    consumer.on('consumer:group:rebalance', () => {
      if (token === this.#consumerToken) this.#rebalanceStarted();
    });
    consumer.on('consumer:group:join', (payload) => {
      if (token === this.#consumerToken) this.#joined(payload);
    });
    consumer.on('consumer:group:leave', () => {
      if (token === this.#consumerToken) this.#membership = { inGroup: false, since: Date.now() };
    });
    consumer.on('error', (error: Error) => {
      if (token === this.#consumerToken && this.#stopping === undefined) this.#recover(error);
    });
    const assigned = new Promise<void>((resolve) => {
      this.#firstAssignment = resolve;
    });
    // Joins the group; never flows: it holds the subscription while generation streams come and go.
    this.#anchor = await consumer.consume({ ...this.#streamOptions(), offsets: [] });
    this.#anchor.on('error', (error: Error) => {
      if (token === this.#consumerToken && this.#stopping === undefined) this.#recover(error);
    });
    await assigned;
  }

  #streamOptions(): Parameters<StageConsumer['consume']>[0] & { mode: 'manual' } {
    return {
      topics: [...this.#options.topics],
      mode: 'manual',
      fallbackMode: this.#options.fromBeginning === false ? 'latest' : 'earliest',
      ...stageFetchOptions(this.#options.tuning),
      deserializers: rawDeserializers,
    };
  }

  #member(payload: ConsumerGroupJoinPayload): GroupMember {
    return {
      groupId: payload.groupId,
      memberId: payload.memberId,
      generationId: payload.generationId ?? -1,
      ...(this.#options.groupInstanceId === undefined ? {} : { groupInstanceId: this.#options.groupInstanceId }),
    };
  }

  #rebalanceStarted(): void {
    // The library is rejoining already: stop fetching, and let the listener finish what it owns
    // while the old generation can still commit.
    this.#closeFeed();
    if (this.#revocation !== undefined || this.#owned.length === 0) return;
    const partitions = this.#owned;
    const revocation: Revocation = { partitions, done: Promise.resolve(), settled: false };
    revocation.done = this.#requireListener()
      .revoking(partitions)
      .catch(() => undefined)
      .finally(() => {
        revocation.settled = true;
      });
    this.#revocation = revocation;
  }

  #joined(payload: ConsumerGroupJoinPayload): void {
    // Before the new generation becomes this member's identity. A join without a warning (session
    // expired, member fenced) loses everything owned. One after a warning whose work is still
    // running hands its partitions over: that work may still commit, under the new generation,
    // for a bounded time the partitions' new owners wait out before reading their offsets.
    const listener = this.#listener;
    const keep = new Set(partitionsOf(payload.assignments ?? []).map((tp) => partitionKey(tp.topic, tp.partition)));
    if (listener !== undefined) {
      const revocation = this.#revocation;
      if (revocation === undefined) {
        const owned = this.#owned;
        this.#owned = [];
        if (owned.length > 0) listener.lost(owned);
      } else if (!revocation.settled) {
        const moved = revocation.partitions.filter((tp) => !keep.has(partitionKey(tp.topic, tp.partition)));
        this.#handover.handOver(revocation, moved, (late) => this.#listener?.lost(late));
      }
    }
    const member = this.#member(payload);
    this.#membership = { inGroup: true, since: Date.now(), member };
    this.#handover.joined(member);
    this.#closeFeed();
    this.#pendingJoin = payload;
    this.#joinChain = this.#joinChain.then(() => this.#assign()).catch((error: unknown) => {
      if (this.#stopping === undefined) this.#recover(error instanceof Error ? error : new Error(String(error)));
    });
  }

  async #assign(): Promise<void> {
    const payload = this.#pendingJoin;
    this.#pendingJoin = undefined;
    const consumer = this.#consumer;
    if (payload === undefined || consumer === undefined || this.#stopping !== undefined) return;
    const listener = this.#requireListener();
    const assignment = partitionsOf(payload.assignments ?? []);
    const keep = new Set(assignment.map((tp) => partitionKey(tp.topic, tp.partition)));
    const previous = this.#owned;
    this.#owned = [];
    const revocation = this.#revocation;
    this.#revocation = undefined;
    if (revocation === undefined) {
      // No warning before the join (first join, session expired, member fenced): nothing to finish.
      if (previous.length > 0) listener.lost(previous);
    } else {
      // What the listener commits for kept partitions lands before their positions are read.
      await revocation.done;
    }
    const held = new Set([...previous, ...(revocation?.partitions ?? [])].map((tp) => partitionKey(tp.topic, tp.partition)));
    const acquired = assignment.some((tp) => !held.has(partitionKey(tp.topic, tp.partition)));
    // Partitions from another member: its last work on them may still be committing (#handOver).
    // A group's first generation had no earlier member.
    if (acquired && (payload.generationId ?? 0) > 1) await delay(this.#handoverMs);
    if (this.#superseded(consumer, payload)) return;
    const offsets = await committedOffsets(this.#admin, this.#options.groupId, assignment);
    if (this.#superseded(consumer, payload)) return;
    // The engine may commit for partitions of this generation before their records flow.
    this.#starting = new Set(assignment.map((tp) => partitionKey(tp.topic, tp.partition)));
    try {
      for (const [key, offset] of (await listener.resumeFrom?.(assignment, offsets)) ?? []) offsets.set(key, offset);
    } finally {
      this.#starting = new Set();
    }
    if (this.#superseded(consumer, payload)) return;
    const stream = await consumer.consume({
      ...this.#streamOptions(),
      offsets: [...offsets].map(([key, offset]) => ({ ...partitionOfKey(key), offset })),
    });
    if (this.#superseded(consumer, payload)) {
      void stream.close().catch(() => undefined);
      return;
    }
    this.#owned = assignment;
    // Assigned before the feed hands over its first batch.
    listener.assigned(assignment);
    this.#feed = new GenerationFeed(stream, listener, {
      keep,
      paused: this.#paused,
      maxBuffered: this.#options.maxBufferedRecords ?? 5_000,
      maxBatch: this.#options.maxBatchRecords ?? 500,
      endOffset: (topic, partition) => this.#endOffsets.endOffset(topic, partition),
      onError: (error) => {
        if (this.#stopping === undefined) this.#recover(error);
      },
    });
    this.#firstAssignment?.();
    this.#firstAssignment = undefined;
  }

  /** A newer join arrived, the consumer was replaced or the source is stopping: this assignment is void. */
  #superseded(consumer: StageConsumer, payload: ConsumerGroupJoinPayload): boolean {
    return this.#pendingJoin !== undefined || this.#consumer !== consumer || consumer.generationId !== payload.generationId || this.#stopping !== undefined;
  }

  #closeFeed(): void {
    this.#feed?.close();
    this.#feed = undefined;
  }

  async #closeConsumer(): Promise<void> {
    const consumer = this.#consumer;
    const anchor = this.#anchor;
    this.#consumer = undefined;
    this.#anchor = undefined;
    this.#consumerToken++;
    this.#membership = { inGroup: false, since: Date.now() };
    await anchor?.close().catch(() => undefined);
    // force: closes any stream still open, then leaves the group.
    if (consumer !== undefined) await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }

  #requireListener(): SourceListener {
    if (this.#listener === undefined) throw new Error('record source not started');
    return this.#listener;
  }
}

function partitionsOf(assignments: readonly GroupAssignment[]): TopicPartition[] {
  const partitions: TopicPartition[] = [];
  for (const { topic, partitions: indexes } of assignments) for (const partition of indexes) partitions.push({ topic, partition });
  return partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
