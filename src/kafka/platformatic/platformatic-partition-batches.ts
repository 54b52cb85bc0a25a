import { partitionKey, type SourceBatch, type SourceListener, type TopicPartition } from '../../runtime/delivery/ports.js';
import type { SourceRecord } from '../../runtime/record.js';

interface Lane extends TopicPartition {
  readonly queue: SourceRecord[];
  busy: boolean;
}

export interface PartitionBatchesOptions {
  /** Records held for all partitions before the fetch stops (the library pauses its whole stream). */
  readonly maxBuffered: number;
  /** Records of one batch at most. */
  readonly maxBatch: number;
  /** Called when the buffer is full (stop fetching) and when it has room again (fetch on). */
  readonly onFull: (full: boolean) => void;
  /** The partition's end offset as last probed (the library's stream does not tell), for lag. */
  readonly endOffset?: (topic: string, partition: number) => bigint | undefined;
}

/**
 * Turns the library's stream of single messages into a batch per partition: what arrived is
 * queued under its partition; a partition whose last batch the listener has not finished gets no
 * other batch until it has (its promise resolved), while other partitions go on. Holds at most
 * `maxBuffered` records not yet handed over: past that it asks for the fetch to stop.
 */
export class PartitionBatches {
  readonly #lanes = new Map<string, Lane>();
  readonly #listener: SourceListener;
  readonly #options: PartitionBatchesOptions;
  #buffered = 0;
  #full = false;
  #held = false;
  #flushScheduled = false;
  #closed = false;

  constructor(listener: SourceListener, options: PartitionBatchesOptions) {
    this.#listener = listener;
    this.#options = options;
  }

  get buffered(): number {
    return this.#buffered;
  }

  add(record: SourceRecord): void {
    if (this.#closed) return;
    const key = partitionKey(record.topic, record.partition);
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { topic: record.topic, partition: record.partition, queue: [], busy: false };
      this.#lanes.set(key, lane);
    }
    lane.queue.push(record);
    this.#buffered++;
    if (!this.#full && this.#buffered >= this.#options.maxBuffered) {
      this.#full = true;
      this.#options.onFull(true);
    }
    this.#scheduleFlush();
  }

  /** Holds batches back (the source is paused) or lets them go again. */
  hold(held: boolean): void {
    this.#held = held;
    if (!held) this.#scheduleFlush();
  }

  /** Whether a batch of the partition is with the listener now. */
  busy(topic: string, partition: number): boolean {
    return this.#lanes.get(partitionKey(topic, partition))?.busy ?? false;
  }

  /** Resolves once no batch is with the listener. */
  async idle(): Promise<void> {
    while ([...this.#lanes.values()].some((lane) => lane.busy)) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Drops what was not handed over; batches with the listener finish on their own. No more batches after. */
  close(): void {
    this.#closed = true;
    for (const lane of this.#lanes.values()) lane.queue.length = 0;
    this.#buffered = 0;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // A fetch response pushes its records in one go: hand them over together.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#closed || this.#held) return;
    for (const lane of this.#lanes.values()) {
      if (lane.busy || lane.queue.length === 0) continue;
      const records = lane.queue.splice(0, this.#options.maxBatch);
      this.#buffered -= records.length;
      lane.busy = true;
      // Never below what was fetched already: a stale probe must not hide records waiting here.
      const fetchedUpTo = BigInt((lane.queue[lane.queue.length - 1] ?? records[records.length - 1])?.offset ?? '-1') + 1n;
      const probed = this.#options.endOffset?.(lane.topic, lane.partition);
      const highWatermark = (probed !== undefined && probed > fetchedUpTo ? probed : fetchedUpTo).toString();
      const batch: SourceBatch = { topic: lane.topic, partition: lane.partition, records, highWatermark };
      let handed: Promise<void>;
      try {
        handed = Promise.resolve(this.#listener.batch(batch));
      } catch (error) {
        handed = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      handed
        .catch(() => undefined)
        .finally(() => {
          lane.busy = false;
          this.#scheduleFlush();
        });
    }
    if (this.#full && this.#buffered < this.#options.maxBuffered / 2) {
      this.#full = false;
      this.#options.onFull(false);
    }
  }
}
