import { partitionKey, type OffsetLog, type TopicPartition } from './ports.js';

/**
 * Exactly-once: where each newly assigned partition's work starts. A transaction of the previous
 * owner may still be about to move the committed offset, so it is read stably (`OffsetLog.committed`
 * uses requireStable), and only once this instance's own earlier work on the partition has ended;
 * records before it were written already and are skipped.
 */
export class StartFloors {
  readonly #floors = new Map<string, Promise<bigint | undefined>>();

  /**
   * Starts reading the committed offsets of `partitions` once `earlier` (this instance's own work
   * on them) has ended; `read` retries until it answers or the stage stops.
   */
  assign(partitions: readonly TopicPartition[], earlier: Promise<void>, read: () => ReturnType<OffsetLog['committed']>): void {
    const committed = earlier.then(read);
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      const floor = committed.then((offsets) => offsets.get(key));
      // Rejected only when the stage stops meanwhile: a batch awaiting it then fails, unprocessed.
      floor.catch(() => undefined);
      this.#floors.set(key, floor);
    }
  }

  /** The first offset still to process in the partition (a `topic/partition` key); undefined: no floor. */
  floor(key: string): Promise<bigint | undefined> | undefined {
    return this.#floors.get(key);
  }

  release(key: string): void {
    this.#floors.delete(key);
  }
}
