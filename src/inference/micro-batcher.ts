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
  /** Runs that can compute at once (the worker pool's size; default 1). */
  readonly concurrency?: number;
  /** Runs one batch of one group; returns one output per item, in order. */
  readonly run: (group: string, items: readonly I[]) => Promise<readonly O[]>;
}

/**
 * Gathers items from concurrent callers (the batches of every assigned partition) into runs of
 * up to `maxSize` per group (model), so one model run serves records of many partitions. Each
 * caller gets its own items' outputs back, so offsets stay per partition.
 *
 * A partial batch goes out at once while fewer than `concurrency` runs are computing: waiting
 * for company would leave a worker idle and only add latency. While the workers are busy it
 * waits for a run to end, or at most `maxWaitMs`, and company gathers meanwhile (batches grow
 * with the load). "At once" means after the caller's turn, so one caller's items share a run.
 */
export class MicroBatcher<I, O> {
  readonly stats: BatchStats = { runs: 0, rows: 0, fullRuns: 0, maxQueueWaitMs: 0 };
  private readonly queues = new Map<string, Queued<I, O>[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly concurrency: number;
  /** Runs dispatched and not yet finished. */
  private running = 0;
  private idleDispatchQueued = false;

  constructor(private readonly options: MicroBatcherOptions<I, O>) {
    this.concurrency = options.concurrency ?? 1;
  }

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
        return;
      }
      if (!this.timers.has(group)) {
        this.timers.set(
          group,
          setTimeout(() => this.dispatch(group), this.options.maxWaitMs),
        );
      }
      if (!this.idleDispatchQueued) {
        this.idleDispatchQueued = true;
        queueMicrotask(() => {
          this.idleDispatchQueued = false;
          this.dispatchWhileIdle();
        });
      }
    });
  }

  /** Runs whatever is queued now, without waiting (used at shutdown). */
  flushAll(): void {
    for (const group of [...this.queues.keys()]) this.dispatch(group);
  }

  /** Sends queued partial batches while fewer runs than `concurrency` are computing. */
  private dispatchWhileIdle(): void {
    for (const group of [...this.queues.keys()]) {
      if (this.running >= this.concurrency) return;
      this.dispatch(group);
    }
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
    this.running++;
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
    } finally {
      this.running--;
      this.dispatchWhileIdle();
    }
  }
}
