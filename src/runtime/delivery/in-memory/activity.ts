/** One macrotask turn: lets every pending microtask (and the work it queues) run first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Counts what the in-memory cluster has in flight (batches a listener has not finished, rebalances,
 * sends, commits, scheduled pumps), so tests can wait until everything settled without timers.
 */
export class Activity {
  private count = 0;
  private waiters: (() => void)[] = [];

  /** Marks one piece of work started; call the returned function once when it ended. */
  begin(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.count--;
      if (this.count === 0) this.wake();
    };
  }

  /** Runs `work` as one piece of activity. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }

  get inFlight(): number {
    return this.count;
  }

  /**
   * Resolves once nothing is in flight and stays so for two more turns: work that ends often
   * starts the next (a batch resolved, the pump hands the next one), so a quiet moment is checked twice.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.count > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
      await nextTurn();
      if (this.count > 0) continue;
      await nextTurn();
      if (this.count === 0) return;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
