/** One macrotask turn: lets every pending microtask (and the work it queues) run first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Transport work (rebalances, sends, commits, pumps), or a batch a listener has not resolved yet. */
export type ActivityKind = 'transport' | 'listener';

/**
 * Counts what the in-memory cluster has in flight (batches a listener has not finished, rebalances,
 * sends, commits, scheduled pumps), so tests can wait until everything settled without timers.
 */
export class Activity {
  private readonly counts: Record<ActivityKind, number> = { transport: 0, listener: 0 };
  private waiters: (() => void)[] = [];

  /** Marks one piece of work started; call the returned function once when it ended. */
  begin(kind: ActivityKind = 'transport'): () => void {
    this.counts[kind]++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.counts[kind]--;
      this.wake();
    };
  }

  /** Runs `work` as one piece of transport activity. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }

  inFlight(kinds: readonly ActivityKind[] = ['transport', 'listener']): number {
    return kinds.reduce((sum, kind) => sum + this.counts[kind], 0);
  }

  /**
   * Resolves once nothing of `kinds` is in flight and stays so for two more turns: work that ends
   * often starts the next (a batch resolved, the pump hands the next one), so a quiet moment is checked twice.
   */
  async idle(kinds: readonly ActivityKind[] = ['transport', 'listener']): Promise<void> {
    for (;;) {
      while (this.inFlight(kinds) > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
      await nextTurn();
      if (this.inFlight(kinds) > 0) continue;
      await nextTurn();
      if (this.inFlight(kinds) === 0) return;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
