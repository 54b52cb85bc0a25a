import { OwnershipLostError } from '../ownership-lost.js';
import type { GroupMember, PartitionOffset, TopicPartition } from '../ports.js';
import type { Activity } from './activity.js';
import type { InMemoryLog } from './in-memory-log.js';
import { deferred, keyOf, sortedPartitions, type Deferred } from './topic-partitions.js';

/** How partitions are spread over members: per topic in ranges (Kafka's default), or dealt round-robin. */
export type AssignmentStrategy = 'range' | 'round-robin';

/** What the coordinator tells a member. Callbacks should not throw; a rejected `revoking` counts as done. */
export interface GroupMemberCallbacks {
  /** Partitions about to move; the coordinator awaits this before it hands them to anyone. */
  revoking(partitions: readonly TopicPartition[]): Promise<void>;
  /** Partitions now owned (maybe none), and the member's identity in the new generation. */
  assigned(partitions: readonly TopicPartition[], member: GroupMember): void;
  /** Partitions taken without revoking: the member was expired (session timeout) and is out of the group. */
  lost(partitions: readonly TopicPartition[]): void;
}

export interface JoinOptions {
  readonly groupInstanceId?: string;
}

/** One offset that became the group's committed offset, for tests to inspect. */
export interface OffsetCommitEntry extends PartitionOffset {
  readonly memberId: string;
  readonly generationId: number;
  /** Whether the member owned the partition when it committed: Kafka does not check, tests may. */
  readonly owned: boolean;
  readonly transactional: boolean;
}

interface MemberState {
  readonly memberId: string;
  readonly groupInstanceId: string | undefined;
  readonly seq: number;
  readonly topics: readonly string[];
  readonly callbacks: GroupMemberCallbacks;
  readonly owned: Map<string, TopicPartition>;
  generationId: number | undefined;
  /** Resolves when the member is out of the group (left or expired): nobody waits for its revoking then. */
  readonly gone: Deferred<void>;
  readonly joined: Deferred<void>;
}

interface PendingOffset extends PartitionOffset {
  readonly memberId: string;
  readonly generationId: number;
  readonly owned: boolean;
}

/**
 * A consumer group coordinator. Membership changes are handled one at a time, each followed by
 * a cooperative rebalance: members first give up (`revoking`, awaited) what the new assignment
 * moves away from them, then the generation goes up and the freed partitions are handed out
 * (`assigned`). An expired member loses its partitions at once, without revoking. Offset commits
 * are checked like Kafka checks them: the member must be in the group at the current generation
 * (partition ownership is not checked, but recorded in `commitHistory()` for tests).
 */
export class InMemoryGroup {
  private readonly memberStates = new Map<string, MemberState>();
  /** Members whose join is queued behind a rebalance. */
  private readonly joining = new Map<string, MemberState>();
  private readonly offsets = new Map<string, bigint>();
  /** Transactional offset commits awaiting their transaction's end, per transaction. */
  private readonly pending = new Map<number, PendingOffset[]>();
  private pendingWaiters: (() => void)[] = [];
  private readonly history: OffsetCommitEntry[] = [];
  private chain: Promise<void> = Promise.resolve();
  private generation = 0;
  private nextMember = 1;

  constructor(
    readonly groupId: string,
    private readonly log: InMemoryLog,
    private readonly activity: Activity,
    private readonly strategy: AssignmentStrategy = 'range',
  ) {}

  get generationId(): number {
    return this.generation;
  }

  /** Adds a member; `joined` resolves once a rebalance that includes it handed out partitions. */
  join(topics: readonly string[], callbacks: GroupMemberCallbacks, options: JoinOptions = {}): { readonly memberId: string; readonly joined: Promise<void> } {
    const seq = this.nextMember++;
    const state: MemberState = {
      memberId: `${this.groupId}-member-${seq}`,
      groupInstanceId: options.groupInstanceId,
      seq,
      topics: [...topics],
      callbacks,
      owned: new Map(),
      generationId: undefined,
      gone: deferred(),
      joined: deferred(),
    };
    this.joining.set(state.memberId, state);
    void this.enqueue(async () => {
      // Expired before its turn came (a restart right after start): it never joins.
      if (!this.joining.delete(state.memberId)) return;
      this.memberStates.set(state.memberId, state);
      await this.rebalanceNow();
    });
    return { memberId: state.memberId, joined: state.joined.promise };
  }

  /** Leaves in order: the member revokes what it owns (awaited), then the rest of the group rebalances. */
  leave(memberId: string): Promise<void> {
    return this.enqueue(async () => {
      const state = this.memberStates.get(memberId);
      if (state === undefined) return;
      await this.revoke(state, [...state.owned.keys()]);
      this.remove(state);
      await this.rebalanceNow();
    });
  }

  /**
   * A session timeout: the member is out at once, its partitions are `lost` to it (no revoking),
   * its later commits are refused, and the rest of the group rebalances.
   */
  expire(memberId: string): void {
    const joining = this.joining.get(memberId);
    if (joining !== undefined) {
      this.joining.delete(memberId);
      this.remove(joining);
      return;
    }
    const state = this.memberStates.get(memberId);
    if (state === undefined) return;
    const lost = sortedPartitions(state.owned.values());
    this.remove(state);
    try {
      state.callbacks.lost(lost);
    } catch {
      // A member's callback failing must not stop the coordinator.
    }
    void this.enqueue(() => this.rebalanceNow());
  }

  /** Runs a rebalance (after any in progress), as a new topic or a forced reassignment would. */
  rebalance(): Promise<void> {
    return this.enqueue(() => this.rebalanceNow());
  }

  /** Resolves once every membership change asked for so far has been handled. */
  async settled(): Promise<void> {
    for (let seen: Promise<void> | undefined; seen !== this.chain; ) {
      seen = this.chain;
      await seen;
    }
  }

  members(): GroupMember[] {
    return [...this.memberStates.values()].sort((a, b) => a.seq - b.seq).flatMap((state) => {
      const info = this.info(state);
      return info === undefined ? [] : [info];
    });
  }

  isMember(memberId: string): boolean {
    return this.memberStates.has(memberId);
  }

  assignment(memberId: string): TopicPartition[] {
    return sortedPartitions(this.memberStates.get(memberId)?.owned.values() ?? []);
  }

  owner(tp: TopicPartition): string | undefined {
    for (const state of this.memberStates.values()) if (state.owned.has(keyOf(tp))) return state.memberId;
    return undefined;
  }

  /** Commits offsets for `member`; OwnershipLostError when it is not in the group at the current generation. */
  commit(offsets: readonly PartitionOffset[], member: GroupMember | undefined): void {
    const checked = this.check(offsets, member);
    for (const offset of checked) this.apply(offset, false);
  }

  /** Stages offsets in transaction `transaction` (checked now, as TxnOffsetCommit is); applied when it commits. */
  stageTransactional(transaction: number, offsets: readonly PartitionOffset[], member: GroupMember | undefined): void {
    const checked = this.check(offsets, member);
    const pending = this.pending.get(transaction) ?? [];
    this.pending.set(transaction, [...pending, ...checked]);
  }

  /** The end of a transaction: its staged offsets become committed, or are dropped. */
  endTransactional(transaction: number, outcome: 'commit' | 'abort'): void {
    const pending = this.pending.get(transaction);
    if (pending === undefined) return;
    this.pending.delete(transaction);
    if (outcome === 'commit') for (const offset of pending) this.apply(offset, true);
    const waiters = this.pendingWaiters;
    this.pendingWaiters = [];
    for (const wake of waiters) wake();
  }

  /** The committed offsets of `partitions`, waiting while a transaction is about to move one (requireStable). */
  async committed(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>> {
    while (partitions.some((tp) => this.isPending(tp))) await new Promise<void>((resolve) => this.pendingWaiters.push(resolve));
    const result = new Map<string, bigint>();
    for (const tp of partitions) {
      const offset = this.offsets.get(keyOf(tp));
      if (offset !== undefined) result.set(keyOf(tp), offset);
    }
    return result;
  }

  /** The committed offset now, ignoring pending transactions. */
  committedOffset(tp: TopicPartition): bigint | undefined {
    return this.offsets.get(keyOf(tp));
  }

  /** Whether a transaction has staged an offset of `tp` and not ended yet. */
  isPending(tp: TopicPartition): boolean {
    const key = keyOf(tp);
    for (const offsets of this.pending.values()) if (offsets.some((offset) => keyOf(offset) === key)) return true;
    return false;
  }

  /** Every offset that became committed, in order. */
  commitHistory(): readonly OffsetCommitEntry[] {
    return this.history;
  }

  private check(offsets: readonly PartitionOffset[], member: GroupMember | undefined): PendingOffset[] {
    const partitions = sortedPartitions(offsets);
    if (member === undefined) throw new OwnershipLostError(`not a member of group ${this.groupId}`, partitions);
    if (member.groupId !== this.groupId) throw new Error(`member of group ${member.groupId} committing to group ${this.groupId}`);
    const state = this.memberStates.get(member.memberId);
    if (state === undefined) throw new OwnershipLostError(`${member.memberId} is no longer in group ${this.groupId} (left or session expired)`, partitions);
    if (member.generationId !== this.generation) {
      throw new OwnershipLostError(`generation ${member.generationId} of group ${this.groupId} is stale (now ${this.generation})`, partitions);
    }
    return offsets.map((offset) => {
      if (!/^\d+$/.test(offset.offset)) throw new RangeError(`offset ${offset.offset} of ${keyOf(offset)} is not a non-negative integer`);
      return {
        topic: offset.topic,
        partition: offset.partition,
        offset: offset.offset,
        memberId: member.memberId,
        generationId: member.generationId,
        owned: state.owned.has(keyOf(offset)),
      };
    });
  }

  private apply(offset: PendingOffset, transactional: boolean): void {
    this.offsets.set(keyOf(offset), BigInt(offset.offset));
    this.history.push({ ...offset, transactional });
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    const end = this.activity.begin();
    const run = this.chain.then(operation).finally(end);
    // One failed operation must not wedge the ones queued after it.
    this.chain = run.catch(() => undefined);
    return run;
  }

  private remove(state: MemberState): void {
    this.memberStates.delete(state.memberId);
    state.owned.clear();
    state.gone.resolve();
    // A member that never got its first assignment is not waited for either.
    state.joined.resolve();
  }

  private async revoke(state: MemberState, keys: readonly string[]): Promise<void> {
    const partitions = sortedPartitions(keys.flatMap((key) => state.owned.get(key) ?? []));
    if (partitions.length === 0) return;
    const revoked = Promise.resolve()
      .then(() => state.callbacks.revoking(partitions))
      .catch(() => undefined);
    // An expired member is not waited for: the coordinator would have dropped it after its rebalance timeout.
    await Promise.race([revoked, state.gone.promise]);
    for (const key of keys) state.owned.delete(key);
  }

  private async rebalanceNow(): Promise<void> {
    const members = [...this.memberStates.values()].sort((a, b) => a.seq - b.seq);
    const target = this.assign(members);
    await Promise.all(members.map((state) => this.revoke(state, [...state.owned.keys()].filter((key) => !(target.get(state.memberId)?.has(key) ?? false)))));
    this.generation++;
    const current = members.filter((state) => this.memberStates.get(state.memberId) === state);
    const taken = new Set(current.flatMap((state) => [...state.owned.keys()]));
    for (const state of current) {
      const given: TopicPartition[] = [];
      for (const [key, tp] of target.get(state.memberId) ?? []) {
        if (state.owned.has(key) || taken.has(key)) continue;
        state.owned.set(key, tp);
        taken.add(key);
        given.push(tp);
      }
      state.generationId = this.generation;
      const info = this.info(state);
      if (info === undefined) continue;
      try {
        state.callbacks.assigned(sortedPartitions(given), info);
      } catch {
        // A member's callback failing must not stop the coordinator.
      }
      state.joined.resolve();
    }
  }

  private info(state: MemberState): GroupMember | undefined {
    if (state.generationId === undefined) return undefined;
    return { groupId: this.groupId, memberId: state.memberId, generationId: state.generationId, groupInstanceId: state.groupInstanceId };
  }

  /** The target assignment: member id -> partition key -> partition. */
  private assign(members: readonly MemberState[]): Map<string, Map<string, TopicPartition>> {
    const target = new Map(members.map((state) => [state.memberId, new Map<string, TopicPartition>()]));
    const give = (state: MemberState, tp: TopicPartition): void => {
      target.get(state.memberId)?.set(keyOf(tp), tp);
    };
    const topics = [...new Set(members.flatMap((state) => state.topics))].sort();
    if (this.strategy === 'range') {
      for (const topic of topics) {
        const subscribers = members.filter((state) => state.topics.includes(topic));
        const count = this.log.partitionCount(topic);
        const each = Math.floor(count / subscribers.length);
        const extra = count % subscribers.length;
        subscribers.forEach((state, index) => {
          const start = index * each + Math.min(index, extra);
          const length = each + (index < extra ? 1 : 0);
          for (let partition = start; partition < start + length; partition++) give(state, { topic, partition });
        });
      }
    } else {
      let cursor = 0;
      for (const topic of topics) {
        for (let partition = 0; partition < this.log.partitionCount(topic); partition++) {
          // Kafka's round-robin: the next member in the circle that subscribes to the topic.
          for (let step = 0; step < members.length; step++) {
            const state = members[(cursor + step) % members.length];
            if (state?.topics.includes(topic) !== true) continue;
            give(state, { topic, partition });
            cursor = (cursor + step + 1) % members.length;
            break;
          }
        }
      }
    }
    return target;
  }
}
