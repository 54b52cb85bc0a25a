import type { PartitionOffset } from './ports.js';
import { partitionKey } from './ports.js';

/**
 * Commits the offsets of written chunks with at most one request in flight: what is noted
 * meanwhile (by every partition) goes out together in the next request, and a partition's later
 * offset replaces its earlier one. A failed commit is reported and not retried: the partition's
 * next commit carries it forward, and until then a restart re-reads a little (at-least-once).
 */
export class OffsetCommitter {
  private pending = new Map<string, PartitionOffset>();
  private draining: Promise<void> | undefined;

  constructor(
    private readonly commit: (offsets: readonly PartitionOffset[]) => Promise<void>,
    private readonly onError: (error: unknown, offsets: readonly PartitionOffset[]) => void,
  ) {}

  note(offset: PartitionOffset): void {
    this.pending.set(partitionKey(offset.topic, offset.partition), offset);
    // Started a tick later: the offsets noted in the same tick (several partitions' chunks) share a request.
    this.draining ??= Promise.resolve().then(() => this.drain());
  }

  /** Drops the offsets of these partitions not yet sent: they are another member's now. */
  forget(keys: readonly string[]): void {
    for (const key of keys) this.pending.delete(key);
  }

  /** Resolves once everything noted so far has been sent. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const offsets = [...this.pending.values()];
        this.pending = new Map();
        try {
          await this.commit(offsets);
        } catch (error) {
          this.onError(error, offsets);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}
