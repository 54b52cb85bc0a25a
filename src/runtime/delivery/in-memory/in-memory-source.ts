import type { GroupMember, Membership, RecordSource, SourceListener, TopicPartition } from '../ports.js';
import type { InMemoryCluster } from './in-memory-cluster.js';
import type { GroupMemberCallbacks, InMemoryGroup } from './in-memory-group.js';
import { comparePartitions, keyOf, sortedPartitions } from './topic-partitions.js';

export interface InMemorySourceOptions {
  readonly groupId: string;
  readonly inputs: readonly string[];
  /** Records per batch, at most (default 100). */
  readonly maxBatchSize?: number;
  /** Where a partition without a committed offset starts (default earliest, as kascade subscribes fromBeginning). */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  readonly groupInstanceId?: string;
  /** Rejoin the group by itself after its session expired, as Kafka clients do on their next heartbeat. Default false. */
  readonly rejoinOnExpiry?: boolean;
}

interface PartitionState {
  readonly tp: TopicPartition;
  /** Next offset to fetch; undefined until the committed offset is known. */
  position: bigint | undefined;
  /** Being revoked: no more batches, its work is finishing. */
  revoking: boolean;
}

/**
 * A consumer group member reading read_committed data. Batches are handed out from turns of the
 * event loop (setImmediate), never on a timer; a partition gets its next batch only once the
 * listener resolved the previous one, even across a lost-and-reassigned partition.
 */
export class InMemoryRecordSource implements RecordSource {
  private listener: SourceListener | undefined;
  private memberId: string | undefined;
  private member: GroupMember | undefined;
  private since: number;
  private readonly owned = new Map<string, PartitionState>();
  private readonly inFlight = new Set<string>();
  private readonly heldPartitions = new Set<string>();
  private paused = false;
  private stopping: Promise<void> | undefined;
  private pumpScheduled = false;
  private restarting = false;
  private rejoining = false;
  private readonly group: InMemoryGroup;
  private readonly maxBatchSize: number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly cluster: InMemoryCluster,
    private readonly options: InMemorySourceOptions,
  ) {
    this.group = cluster.group(options.groupId);
    this.maxBatchSize = options.maxBatchSize ?? 100;
    if (!Number.isInteger(this.maxBatchSize) || this.maxBatchSize < 1) throw new RangeError(`maxBatchSize must be a positive integer, not ${this.maxBatchSize}`);
    this.since = this.now();
    this.unsubscribe = cluster.log.onChange(() => this.schedulePump());
  }

  async start(listener: SourceListener): Promise<void> {
    if (this.stopping !== undefined) throw new Error('the source was stopped');
    if (this.listener !== undefined) throw new Error('the source was started already');
    this.listener = listener;
    await this.join();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedulePump();
  }

  membership(): Membership {
    return { inGroup: this.member !== undefined, since: this.since, member: this.member };
  }

  /**
   * The coordinator refused this member's commit or transaction: it joins again as a new member,
   * as a client that cannot tell why would (the partitions come back from the committed offsets).
   */
  ownershipLost(): void {
    if (this.stopping !== undefined || this.listener === undefined || this.rejoining) return;
    this.rejoining = true;
    void this.restart()
      .catch(() => undefined)
      .finally(() => {
        this.rejoining = false;
      });
  }

  /** Drops the member as a crashed client would be dropped (partitions lost), then joins again as a new member. */
  async restart(): Promise<void> {
    if (this.stopping !== undefined) throw new Error('the source was stopped');
    if (this.listener === undefined) throw new Error('the source was not started');
    this.restarting = true;
    try {
      if (this.memberId !== undefined) this.group.expire(this.memberId);
    } finally {
      this.restarting = false;
    }
    await this.join();
  }

  stop(): Promise<void> {
    this.stopping ??= this.leave();
    return this.stopping;
  }

  /** The member id in the group now (undefined when out). */
  get currentMemberId(): string | undefined {
    return this.memberId;
  }

  /** Partitions owned now, in order. */
  assignment(): TopicPartition[] {
    return sortedPartitions([...this.owned.values()].map((state) => state.tp));
  }

  /** Stops handing out batches of one partition (a stuck fetch) until `releasePartition`. */
  holdPartition(tp: TopicPartition): void {
    this.heldPartitions.add(keyOf(tp));
  }

  releasePartition(tp: TopicPartition): void {
    this.heldPartitions.delete(keyOf(tp));
    this.schedulePump();
  }

  /** The client gave up: tells the listener. */
  fail(error: Error): void {
    this.listener?.failed(error);
  }

  private async join(): Promise<void> {
    const joining: { id?: string } = {};
    const { memberId, joined } = this.group.join(this.options.inputs, this.callbacks(() => joining.id), this.options.groupInstanceId === undefined ? {} : { groupInstanceId: this.options.groupInstanceId });
    // The group calls back only from its queue, after this returned: the id is known by then.
    joining.id = memberId;
    this.memberId = memberId;
    await joined;
  }

  private async leave(): Promise<void> {
    const memberId = this.memberId;
    if (memberId !== undefined) await this.group.leave(memberId);
    this.left(memberId);
    this.unsubscribe();
  }

  private left(memberId: string | undefined): void {
    if (memberId !== this.memberId) return;
    this.memberId = undefined;
    if (this.member !== undefined) {
      this.member = undefined;
      this.since = this.now();
    }
  }

  /** Callbacks bound to one membership: those of a member this source replaced (restart) are ignored. */
  private callbacks(memberId: () => string | undefined): GroupMemberCallbacks {
    const current = (): boolean => memberId() !== undefined && memberId() === this.memberId;
    return {
      assigned: (partitions, member) => {
        if (!current()) return;
        if (this.member === undefined) this.since = this.now();
        this.member = member;
        for (const tp of partitions) this.owned.set(keyOf(tp), { tp, position: undefined, revoking: false });
        if (partitions.length > 0) this.listener?.assigned(partitions);
        for (const tp of partitions) this.fetchPosition(tp);
      },
      revoking: async (partitions) => {
        if (!current()) return;
        for (const tp of partitions) {
          const state = this.owned.get(keyOf(tp));
          if (state !== undefined) state.revoking = true;
        }
        await this.listener?.revoking(partitions);
        for (const tp of partitions) {
          if (this.owned.get(keyOf(tp))?.revoking === true) this.owned.delete(keyOf(tp));
        }
      },
      lost: (partitions) => {
        if (!current()) return;
        this.owned.clear();
        this.left(this.memberId);
        if (partitions.length > 0) this.listener?.lost(partitions);
        if (this.options.rejoinOnExpiry === true && !this.restarting && this.stopping === undefined) void this.join();
      },
    };
  }

  /**
   * Looks up where a newly assigned partition starts: its committed offset, once no transaction
   * is about to move it. Not counted as activity: the transaction it waits for is, unless a test holds it.
   */
  private fetchPosition(tp: TopicPartition): void {
    const state = this.owned.get(keyOf(tp));
    if (state === undefined) return;
    void this.group.committed([tp]).then(async (committed) => {
      if (this.owned.get(keyOf(tp)) !== state) return;
      const resumed = (await this.listener?.resumeFrom?.([tp], committed)) ?? new Map<string, bigint>();
      if (this.owned.get(keyOf(tp)) !== state) return;
      const reset = this.options.autoOffsetReset === 'latest' ? this.cluster.log.endOffset(tp) : 0n;
      state.position = resumed.get(keyOf(tp)) ?? committed.get(keyOf(tp)) ?? reset;
      this.schedulePump();
    });
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.listener === undefined) return;
    this.pumpScheduled = true;
    const end = this.cluster.activity.begin();
    setImmediate(() => {
      this.pumpScheduled = false;
      try {
        this.pump();
      } finally {
        end();
      }
    });
  }

  /** Hands every partition that is free to take one its next batch. */
  private pump(): void {
    const listener = this.listener;
    if (listener === undefined || this.paused || this.stopping !== undefined || this.member === undefined) return;
    for (const state of [...this.owned.values()].sort((a, b) => comparePartitions(a.tp, b.tp))) {
      const key = keyOf(state.tp);
      if (state.position === undefined || state.revoking || this.inFlight.has(key) || this.heldPartitions.has(key)) continue;
      const read = this.cluster.log.read(state.tp, state.position, this.maxBatchSize, 'read_committed');
      const last = read.records.at(-1);
      if (last === undefined) continue;
      state.position = BigInt(last.offset) + 1n;
      this.inFlight.add(key);
      const end = this.cluster.activity.begin('listener');
      const done = (): void => {
        this.inFlight.delete(key);
        end();
        this.schedulePump();
      };
      try {
        listener.batch({ topic: state.tp.topic, partition: state.tp.partition, records: read.records, highWatermark: String(read.highWatermark) }).then(done, done);
      } catch {
        done();
      }
    }
  }

  private now(): number {
    return this.cluster.clock.now().getTime();
  }
}
