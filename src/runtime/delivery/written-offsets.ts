import type { Logger } from '../../telemetry/logger.js';
import { partitionKey, type OffsetLog, type PartitionOffset, type TopicPartition } from './ports.js';

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

  /**
   * Commits how far `partitions` were written where that is beyond their committed offset, and
   * answers those start offsets. When the commit fails none is answered: started past an
   * uncommitted offset, a partition with no new records would never commit it, so the stretch is
   * written again instead.
   */
  async resumeFrom(partitions: readonly TopicPartition[], committed: ReadonlyMap<string, bigint>, offsets: OffsetLog, logger: Logger, stage: string): Promise<ReadonlyMap<string, bigint>> {
    const ahead = this.ahead(partitions, committed);
    if (ahead.length === 0) return new Map();
    const where = { stage, partitions: ahead.map((entry) => `${partitionKey(entry.topic, entry.partition)}@${entry.offset}`).join(',') };
    try {
      await offsets.commit(ahead);
    } catch (error) {
      logger.warn('could not commit work written before the partitions were lost; it is written again', { ...where, error: error instanceof Error ? error.message : String(error) });
      return new Map();
    }
    logger.info('committed work written before the partitions were lost; resuming after it', where);
    return new Map(ahead.map((entry) => [partitionKey(entry.topic, entry.partition), BigInt(entry.offset)]));
  }

  /** Those of `partitions` written beyond their committed offset (`topic/partition` keys; absent: none). */
  private ahead(partitions: readonly TopicPartition[], committed: ReadonlyMap<string, bigint>): PartitionOffset[] {
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
