import { partitionKey, type GroupMember, type TopicPartition } from '../../runtime/delivery/ports.js';

/** An orderly revocation: the listener finishing and committing the work of `partitions`. */
export interface Revocation {
  readonly partitions: readonly TopicPartition[];
  done: Promise<void>;
  settled: boolean;
}

/**
 * Partitions a member hands over in a rebalance, and the member's generations as they come.
 *
 * @platformatic/kafka rejoins as soon as it hears of a rebalance, so a revocation may still be
 * running when the new generation starts. A classic group checks the generation, not the
 * assignment, so the revoked partitions stay this member's to commit until the revocation ends;
 * those that moved to another member only for half of `handoverMs` (their new owner waits all
 * of it before reading its offsets), then they are lost and their new owner redoes the work.
 */
export class PartitionHandover {
  readonly #handingOver = new Set<string>();
  /** Commits waiting for this member's next generation (joinedAfter). */
  readonly #joinWaiters = new Set<(member: GroupMember) => void>();

  constructor(private readonly handoverMs: number) {}

  /** Starts handing `revocation`'s partitions over; `moved` (assigned elsewhere now) go to `lost` when it runs late. */
  handOver(revocation: Revocation, moved: readonly TopicPartition[], lost: (late: readonly TopicPartition[]) => void): void {
    const keys = revocation.partitions.map((tp) => partitionKey(tp.topic, tp.partition));
    for (const key of keys) this.#handingOver.add(key);
    const timer = setTimeout(() => {
      if (revocation.settled) return;
      const late = moved.filter((tp) => this.#handingOver.delete(partitionKey(tp.topic, tp.partition)));
      if (late.length > 0) lost(late);
    }, this.handoverMs / 2);
    timer.unref();
    void revocation.done.then(() => {
      clearTimeout(timer);
      for (const key of keys) this.#handingOver.delete(key);
    });
  }

  /** Whether the partition (a `topic/partition` key) is being handed over and may still be committed. */
  has(key: string): boolean {
    return this.#handingOver.has(key);
  }

  clear(): void {
    this.#handingOver.clear();
  }

  /** Tells the commits waiting for a newer generation that `member` joined one. */
  joined(member: GroupMember): void {
    for (const waiter of this.#joinWaiters) waiter(member);
  }

  /** `member` once it has joined a generation after `generationId` (`current` if it already has); undefined after `timeoutMs`. */
  joinedAfter(current: GroupMember | undefined, generationId: number, timeoutMs: number): Promise<GroupMember | undefined> {
    if (current !== undefined && current.generationId > generationId) return Promise.resolve(current);
    return new Promise((resolve) => {
      const done = (member: GroupMember | undefined): void => {
        clearTimeout(timer);
        this.#joinWaiters.delete(waiter);
        resolve(member);
      };
      const waiter = (member: GroupMember): void => {
        if (member.generationId > generationId) done(member);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      timer.unref();
      this.#joinWaiters.add(waiter);
    });
  }
}
