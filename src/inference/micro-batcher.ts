export interface BatchStats {
  /** Runs dispatched and rows in them: rows / runs is the mean batch size. */
  runs: number;
  rows: number;
  /** Runs that went out full (maxSize rows). */
  fullRuns: number;
  /** Longest time a row waited in the queue before its run started, milliseconds. */
  maxQueueWaitMs: number;
}

interface Queued<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export interface MicroBatcherOptions<I, O> {
  readonly maxSize: number;
  readonly maxWaitMs: number;
  /** Runs one batch of one group; returns one output per item, in order. */
  readonly run: (group: string, items: readonly I[]) => Promise<readonly O[]>;
}

/**
 * Gathers items from concurrent callers (the batches of every assigned partition) into runs of
 * up to `maxSize` per group (model), so one model run serves records of many partitions. A
 * partial batch waits at most `maxWaitMs` for company. Each caller gets its own items' outputs
 * back, so offsets stay per partition.
 */
export class MicroBatcher<I, O> {
  readonly stats: BatchStats = { runs: 0, rows: 0, fullRuns: 0, maxQueueWaitMs: 0 };
  private readonly queues = new Map<string, Queued<I, O>[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: MicroBatcherOptions<I, O>) {}

  submit(group: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let queue = this.queues.get(group);
      if (queue === undefined) {
        queue = [];
        this.queues.set(group, queue);
      }
      queue.push({ item, enqueuedAt: performance.now(), resolve, reject });
      if (queue.length >= this.options.maxSize) {
        this.dispatch(group);
      } else if (!this.timers.has(group)) {
        this.timers.set(
          group,
          setTimeout(() => this.dispatch(group), this.options.maxWaitMs),
        );
      }
    });
  }

  /** Runs whatever is queued now, without waiting (used at shutdown). */
  flushAll(): void {
    for (const group of [...this.queues.keys()]) this.dispatch(group);
  }

  private dispatch(group: string): void {
    const timer = this.timers.get(group);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(group);
    const queue = this.queues.get(group) ?? [];
    this.queues.delete(group);
    for (let start = 0; start < queue.length; start += this.options.maxSize) {
      void this.runBatch(group, queue.slice(start, start + this.options.maxSize));
    }
  }

  private async runBatch(group: string, batch: readonly Queued<I, O>[]): Promise<void> {
    const started = performance.now();
    this.stats.runs++;
    this.stats.rows += batch.length;
    if (batch.length === this.options.maxSize) this.stats.fullRuns++;
    for (const queued of batch) this.stats.maxQueueWaitMs = Math.max(this.stats.maxQueueWaitMs, started - queued.enqueuedAt);
    try {
      const outputs = await this.options.run(
        group,
        batch.map((queued) => queued.item),
      );
      batch.forEach((queued, index) => {
        const output = outputs[index];
        if (output === undefined) queued.reject(new Error(`batch of ${group} returned ${outputs.length} outputs for ${batch.length} items`));
        else queued.resolve(output);
      });
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    }
  }
}
