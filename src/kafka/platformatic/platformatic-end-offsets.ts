import type { Admin } from '@platformatic/kafka';
import { partitionKey, type TopicPartition } from '../../runtime/delivery/ports.js';
import { READ_COMMITTED } from './platformatic-connection.js';

/** How often the assigned partitions' end offsets are read, for lag. */
const PROBE_EVERY_MS = 2_000;
/** ListOffsets's timestamp for "the end of the partition". */
const LATEST = -1n;

/**
 * The end offsets (read_committed) of the partitions a member owns, read every few seconds: the
 * library's message stream does not carry high watermarks, and lag needs them.
 */
export class EndOffsetProbe {
  readonly #ends = new Map<string, bigint>();
  #timer: NodeJS.Timeout | undefined;
  #probing = false;

  constructor(
    private readonly admin: Admin,
    private readonly owned: () => readonly TopicPartition[],
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.#probe(), PROBE_EVERY_MS);
    this.#timer.unref();
    void this.#probe();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The partition's end offset as last read; undefined before the first read. */
  endOffset(topic: string, partition: number): bigint | undefined {
    return this.#ends.get(partitionKey(topic, partition));
  }

  async #probe(): Promise<void> {
    const owned = this.owned();
    if (this.#probing || owned.length === 0) return;
    this.#probing = true;
    try {
      const byTopic = new Map<string, number[]>();
      for (const { topic, partition } of owned) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
      const listed = await this.admin.listOffsets({
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp: LATEST })) })),
        isolationLevel: READ_COMMITTED,
      });
      for (const topic of listed) for (const entry of topic.partitions) this.#ends.set(partitionKey(topic.name, entry.partitionIndex), entry.offset);
    } catch {
      // Lag is a gauge: the next probe tries again.
    } finally {
      this.#probing = false;
    }
  }
}
