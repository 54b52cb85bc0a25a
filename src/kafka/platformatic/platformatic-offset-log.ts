import { offsetCommitV9 } from '@platformatic/kafka';

type OffsetCommitRequestTopic = offsetCommitV9.OffsetCommitRequestTopic;
import { OwnershipLostError } from '../../runtime/delivery/ownership-lost.js';
import type { GroupMember, OffsetLog, PartitionOffset, TopicPartition } from '../../runtime/delivery/ports.js';
import { committedOffsets } from './platformatic-committed.js';
import type { Coordinators } from './platformatic-coordinators.js';
import { commitError, isRebalanceRefusal } from './platformatic-errors.js';
import type { PlatformaticRecordSource } from './platformatic-record-source.js';

/** How long a commit refused mid-rebalance waits for this member's next generation. */
const REJOIN_WAIT_MS = 5_000;

/**
 * Commits with the member's generation as the source last joined, on kascade's own request to
 * the group coordinator: Consumer.commit of @platformatic/kafka 1.35.0 answers ILLEGAL_GENERATION
 * or REBALANCE_IN_PROGRESS by rejoining and committing again with the new generation, which would
 * write offsets of partitions the group gave to another member. Partitions this member does not
 * own now are refused before asking the broker (a classic group does not check ownership).
 * A commit the broker refuses because the group is between generations is sent again under the
 * member's next generation, for the partitions it still owns or hands over (the record source's
 * handover): finished work then lands before the partitions' new owners read their offsets.
 */
export class PlatformaticOffsetLog implements OffsetLog {
  constructor(
    private readonly source: PlatformaticRecordSource,
    private readonly coordinators: Coordinators,
    private readonly groupId: string,
  ) {}

  async commit(offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const { inGroup, member } = this.source.membership();
    if (!inGroup || member === undefined) throw new OwnershipLostError(`group ${this.groupId}: this member is not in the group`, offsets);
    const notOwned = offsets.filter((offset) => !this.source.owns(offset.topic, offset.partition));
    if (notOwned.length > 0) {
      throw new OwnershipLostError(`group ${this.groupId}: ${notOwned.map(describe).join(', ')} no longer assigned to this member`, notOwned);
    }
    try {
      await this.#send(member, offsets);
    } catch (error) {
      if (!isRebalanceRefusal(error)) throw commitError(`committing offsets of group ${this.groupId} (generation ${member.generationId})`, error, offsets);
      const next = await this.source.joinedAfter(member.generationId, REJOIN_WAIT_MS);
      const owned = offsets.filter((offset) => this.source.owns(offset.topic, offset.partition));
      if (next === undefined || owned.length === 0) throw commitError(`committing offsets of group ${this.groupId} (generation ${member.generationId})`, error, offsets);
      try {
        await this.#send(next, owned);
      } catch (retryError) {
        throw commitError(`committing offsets of group ${this.groupId} (generation ${next.generationId})`, retryError, owned);
      }
      const moved = offsets.filter((offset) => !owned.includes(offset));
      if (moved.length > 0) throw new OwnershipLostError(`group ${this.groupId}: ${moved.map(describe).join(', ')} moved to another member in a rebalance`, moved);
    }
  }

  #send(member: GroupMember, offsets: readonly PartitionOffset[]): Promise<unknown> {
    return this.coordinators.group(this.groupId, (connection) =>
      offsetCommitV9.api.async(connection, this.groupId, member.generationId, member.memberId, member.groupInstanceId ?? null, commitTopics(offsets)),
    );
  }

  async committed(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>> {
    return committedOffsets(this.source.admin, this.groupId, partitions);
  }
}

export function commitTopics(offsets: readonly PartitionOffset[]): OffsetCommitRequestTopic[] {
  const topics = new Map<string, OffsetCommitRequestTopic>();
  for (const { topic, partition, offset, metadata } of offsets) {
    let entry = topics.get(topic);
    if (entry === undefined) {
      entry = { name: topic, partitions: [] };
      topics.set(topic, entry);
    }
    // -1: no leader epoch (the broker skips its fencing check on it).
    entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: metadata ?? null });
  }
  return [...topics.values()];
}

function describe(partition: TopicPartition): string {
  return `${partition.topic}/${partition.partition}`;
}
