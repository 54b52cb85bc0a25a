/** One piece of a partition's work; resolves false when it stopped before its end. */
export type LaneWork = (isCurrent: () => boolean) => Promise<boolean>;

interface Lane {
  tail: Promise<void>;
  /** Bumped whenever the partition is assigned, revoked or lost: work of an older epoch stops at its next chunk. */
  epoch: number;
  open: boolean;
}

/**
 * Each owned partition's work, run in order one piece at a time, so two chunks of a partition
 * are never processed or written at once while different partitions run side by side.
 *
 * A lane is open while the partition is assigned. Work that stops before its end (the lane
 * closed, the stage drains, the stage failed) closes the lane: later work of that partition
 * would otherwise commit past records never processed. It opens again with the next assignment,
 * which starts from the group's committed offset.
 */
export class PartitionLanes {
  private readonly lanes = new Map<string, Lane>();

  open(key: string): void {
    const lane = this.laneOf(key);
    lane.epoch += 1;
    lane.open = true;
  }

  close(key: string): void {
    const lane = this.lanes.get(key);
    if (lane === undefined || !lane.open) return;
    lane.epoch += 1;
    lane.open = false;
  }

  isOpen(key: string): boolean {
    return this.lanes.get(key)?.open === true;
  }

  openKeys(): string[] {
    return [...this.lanes].filter(([, lane]) => lane.open).map(([key]) => key);
  }

  /**
   * Queues `work` behind the partition's earlier work. Returns the work's promise and a promise
   * of the earlier work, or undefined when the lane is closed (nothing is queued).
   */
  enqueue(key: string, work: LaneWork): { readonly done: Promise<void>; readonly previous: Promise<void> } | undefined {
    const lane = this.lanes.get(key);
    if (lane === undefined || !lane.open) return undefined;
    const epoch = lane.epoch;
    const isCurrent = (): boolean => lane.open && lane.epoch === epoch;
    const previous = lane.tail;
    const done = previous.then(async () => {
      if (!isCurrent()) return;
      let finished = false;
      try {
        finished = await work(isCurrent);
      } finally {
        if (!finished && lane.epoch === epoch) this.close(key);
      }
    });
    // A failed piece closes the lane as one that stopped early; its error goes to `done`'s awaiter.
    lane.tail = done.catch(() => undefined);
    return { done, previous };
  }

  /** Resolves once the work queued so far on these partitions (all when absent) has ended. */
  async settled(keys?: readonly string[]): Promise<void> {
    const lanes = keys === undefined ? [...this.lanes.values()] : keys.map((key) => this.lanes.get(key)).filter((lane) => lane !== undefined);
    await Promise.all(lanes.map((lane) => lane.tail));
  }

  private laneOf(key: string): Lane {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), epoch: 0, open: false };
      this.lanes.set(key, lane);
    }
    return lane;
  }
}
