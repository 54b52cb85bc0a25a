import { partitionKey, type PartitionOffset, type TopicPartition } from './ports.js';

/**
 * At-least-once: per partition, the offset up to which this instance's outputs are acknowledged,
 * kept across losing the partition. A member whose session expired (a broker paused longer than
 * the session timeout) loses its partitions with commits refused or never sent, then usually
 * gets them back: from these offsets it resumes after the work it did, not at the last commit
 * that landed. Only ever ahead of the committed offset is used, so a partition another member
 * has moved further is left alone.
 */
export class WrittenOffsets {
  readonly #written = new Map<string, bigint>();

  /** Records before `offset` of the partition have their outputs acknowledged. */
  wrote(offset: PartitionOffset): void {
    const key = partitionKey(offset.topic, offset.partition);
    const next = BigInt(offset.offset);
    if ((this.#written.get(key) ?? -1n) < next) this.#written.set(key, next);
  }

  /** Those of `partitions` written beyond their committed offset (`topic/partition` keys; absent: none). */
  ahead(partitions: readonly TopicPartition[], committed: ReadonlyMap<string, bigint>): PartitionOffset[] {
    const ahead: PartitionOffset[] = [];
    for (const tp of partitions) {
      const written = this.#written.get(partitionKey(tp.topic, tp.partition));
      if (written === undefined) continue;
      const landed = committed.get(partitionKey(tp.topic, tp.partition));
      if (landed === undefined || written > landed) ahead.push({ topic: tp.topic, partition: tp.partition, offset: written.toString() });
    }
    return ahead;
  }
}
