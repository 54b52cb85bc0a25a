import { isKascadeError } from '../errors.js';

export interface RetryOptions {
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called before each wait; may throw to give up (e.g. a rebalance took the partition away). */
  readonly beforeWait?: (error: unknown, attempt: number, delayMs: number) => Promise<void> | void;
  /** Checked before each attempt: when true the retry ends with the last error. */
  readonly shouldStop?: () => boolean;
  readonly isRetriable?: (error: unknown) => boolean;
  /** How long to wait; injectable so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const isRetriableError = (error: unknown): boolean => isKascadeError(error) && error.retriable;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, retrying retriable errors with capped exponential backoff
 * (with jitter, so many stages do not hammer a recovering registry in step). Non-retriable
 * errors, and any error once `shouldStop` says so, are thrown at once.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const initial = options.initialDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const retriable = options.isRetriable ?? isRetriableError;
  const sleep = options.sleep ?? realSleep;
  for (let count = 0; ; count++) {
    try {
      return await attempt();
    } catch (error) {
      if (!retriable(error) || options.shouldStop?.() === true) throw error;
      const delay = Math.min(max, initial * 2 ** Math.min(count, 20)) * (0.5 + Math.random() / 2);
      await options.beforeWait?.(error, count + 1, delay);
      if (options.shouldStop?.() === true) throw error;
      await sleep(delay);
    }
  }
}
