/** Processes one batch; resolves false when it stopped before its end. */
export type LaneWork = (isCurrent: () => boolean) => Promise<boolean>;

interface Lane {
  tail: Promise<void>;
  /** The epoch in which a batch stopped early: later batches of that epoch are dropped, so no offset is skipped. */
  brokenIn: number | undefined;
}

/**
 * The batches kafkajs hands a stage, processed in the background one partition at a time, in
 * order, so that kafkajs fetches the next batches while these run. kafkajs fetches again only
 * once every partition's handler has returned; a handler that waits just for the partition's
 * previous batch lets one fetch overlap the processing of the one before, and bounds what is
 * queued to two batches per partition.
 *
 * A rebalance starts a new epoch: work queued before it stops at its next chunk, and kafkajs
 * reads again from the committed offsets.
 */
export class PartitionLanes {
  private epoch = 0;
  private readonly lanes = new Map<string, Lane>();

  /**
   * Starts a new epoch (a rebalance). A partition's new batches still wait for its old work to
   * stop, so two chunks of one partition are never written at once.
   */
  reset(): void {
    this.epoch += 1;
  }

  /**
   * Queues `work` behind the partition's earlier batches. Returns the work's promise and a promise
   * of the earlier batches, or undefined when a batch of the partition stopped early in this epoch
   * (nothing is queued: the stage is stopping or the group is rebalancing).
   */
  enqueue(key: string, work: LaneWork): { readonly done: Promise<void>; readonly previous: Promise<void> } | undefined {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), brokenIn: undefined };
      this.lanes.set(key, lane);
    }
    const epoch = this.epoch;
    if (lane.brokenIn === epoch) return undefined;
    const owner = lane;
    const isCurrent = (): boolean => this.epoch === epoch && owner.brokenIn !== epoch;
    const previous = lane.tail;
    const done = previous.then(async () => {
      if (!isCurrent()) return;
      let finished = false;
      try {
        finished = await work(isCurrent);
      } finally {
        if (!finished) owner.brokenIn = epoch;
      }
    });
    // A batch that failed breaks the lane as one that stopped early; its error goes to `done`'s awaiter.
    lane.tail = done.catch(() => undefined);
    return { done, previous };
  }
}
