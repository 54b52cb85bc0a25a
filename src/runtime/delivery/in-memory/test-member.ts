import type { GroupMember, TopicPartition } from '../ports.js';
import type { InMemoryCluster } from './in-memory-cluster.js';

/** What happened to a test member, in order. */
export type TestMemberEvent =
  | { readonly type: 'assigned'; readonly partitions: readonly TopicPartition[]; readonly generationId: number }
  | { readonly type: 'revoking'; readonly partitions: readonly TopicPartition[] }
  | { readonly type: 'lost'; readonly partitions: readonly TopicPartition[] };

/** A bare group member with no stage behind it: a test adds one to cause a rebalance, and removes it for another. */
export interface TestMember {
  readonly memberId: string;
  /** Resolves once its first assignment arrived. */
  readonly joined: Promise<void>;
  readonly events: readonly TestMemberEvent[];
  /** The member's identity now (undefined before its first assignment or after it left). */
  member(): GroupMember | undefined;
  assignment(): TopicPartition[];
  /** Leaves in order: revokes what it owns, then the group rebalances. */
  leave(): Promise<void>;
  /** Misses its session timeout. */
  expire(): void;
}

export interface TestMemberOptions {
  /** Awaited when the member is asked to give partitions up (default: gives them up at once). */
  readonly revoking?: (partitions: readonly TopicPartition[]) => Promise<void>;
}

export function addTestMember(cluster: InMemoryCluster, groupId: string, topics: readonly string[], options: TestMemberOptions = {}): TestMember {
  const group = cluster.group(groupId);
  const events: TestMemberEvent[] = [];
  let current: GroupMember | undefined;
  const { memberId, joined } = group.join(topics, {
    assigned: (partitions, member) => {
      current = member;
      events.push({ type: 'assigned', partitions, generationId: member.generationId });
    },
    revoking: async (partitions) => {
      events.push({ type: 'revoking', partitions });
      await options.revoking?.(partitions);
    },
    lost: (partitions) => {
      current = undefined;
      events.push({ type: 'lost', partitions });
    },
  });
  return {
    memberId,
    joined,
    events,
    member: () => (group.isMember(memberId) ? current : undefined),
    assignment: () => group.assignment(memberId),
    leave: () => group.leave(memberId),
    expire: () => group.expire(memberId),
  };
}
