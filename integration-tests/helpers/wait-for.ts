export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message; a function to report the state at the timeout. */
  readonly what: string | (() => string);
}

/** Polls `condition` until it returns true; fails with `what` and the last state after the timeout. */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'string' ? options.what : options.what();
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
