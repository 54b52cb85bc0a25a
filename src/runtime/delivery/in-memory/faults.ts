import { ErrorCode, KascadeError } from '../../../errors.js';
import { deferred, type Deferred } from './topic-partitions.js';

/** The retriable error an in-memory send or commit fails with unless a test supplies its own. */
export function injectedFailure(what: string): KascadeError {
  return new KascadeError(ErrorCode.KafkaSendFailed, `${what} failed (injected fault)`, { retriable: true });
}

/** Fails the next `count` calls of one operation. */
export class FailNext {
  private remaining = 0;
  private error: ((what: string) => Error) | undefined;

  arm(count: number, error?: Error): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, not ${count}`);
    this.remaining = count;
    this.error = error === undefined ? undefined : () => error;
  }

  /** The error this call fails with, or undefined when it goes through. */
  take(what: string): Error | undefined {
    if (this.remaining === 0) return undefined;
    this.remaining--;
    return this.error?.(what) ?? injectedFailure(what);
  }

  get pending(): number {
    return this.remaining;
  }
}

/** Parks calls until released: while held, a test can look at the state in between (an in-flight commit). */
export class Gate {
  private held: Deferred<void> | undefined;

  hold(): () => void {
    const gate = (this.held ??= deferred());
    return () => {
      if (this.held === gate) this.held = undefined;
      gate.resolve();
    };
  }

  async pass(): Promise<void> {
    while (this.held !== undefined) await this.held.promise;
  }
}
