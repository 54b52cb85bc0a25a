/**
 * What a stage says about its own health, for the process's /healthz and /readyz. The runtime's
 * progress watchdog produces it (src/runtime/delivery/watchdog.ts); the health server only reads
 * it, so telemetry/ stays below the runtime.
 */

/** One input partition the stage owns. */
export interface PartitionHealth {
  readonly topic: string;
  readonly partition: number;
  /** Records behind the partition's high watermark as last reported; undefined while unknown. */
  readonly lag: number | undefined;
  /** Seconds since the partition last made progress (a fetch, records written, a commit), or since it was assigned. */
  readonly secondsSinceProgress: number;
  /** The stage is retrying an outage for it (the broker or the registry is down): no progress, on purpose. */
  readonly retrying: boolean;
  /** Records waiting and no progress for longer than the stage's limit. */
  readonly stuck: boolean;
}

export interface StageHealth {
  readonly stage: string;
  /** False once the stage is stuck beyond repair (its watchdog failed it): /healthz answers 503. */
  readonly healthy: boolean;
  /** In its group, not restarting its client, healthy: /readyz needs every stage ready. */
  readonly ready: boolean;
  /** Why not healthy or not ready (or what the watchdog is doing about it). */
  readonly reason?: string | undefined;
  readonly inGroup: boolean;
  readonly memberId?: string | undefined;
  readonly generationId?: number | undefined;
  /** Seconds since the member last joined (in the group) or left (out of it). */
  readonly secondsSinceMembershipChange: number;
  readonly partitions: readonly PartitionHealth[];
}

/**
 * The stages of a process, each registered by whoever runs it (a stage's watchdog). The health
 * server reads `stages()` on every request.
 */
export class StageHealthBoard {
  private readonly sources = new Set<() => StageHealth>();

  /** Registers a stage's health; the returned function removes it (when the stage stops). */
  add(read: () => StageHealth): () => void {
    const entry = (): StageHealth => read();
    this.sources.add(entry);
    return () => {
      this.sources.delete(entry);
    };
  }

  stages(): StageHealth[] {
    return [...this.sources].map((read) => read());
  }
}
