import { waitFor } from './wait-for.js';

/**
 * `ask()`'s answer, asked again while it throws: right after a fault the broker may answer "not
 * the leader" for a while. Fails with the last error once `timeoutMs` passed.
 */
export async function askAgain<T>(what: string, ask: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  let answer: { value: T } | undefined;
  let lastError = '';
  await waitFor(
    async () => {
      try {
        answer = { value: await ask() };
        return true;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        return false;
      }
    },
    { what: () => `${what} (last error: ${lastError})`, timeoutMs, intervalMs: 250 },
  );
  if (answer === undefined) throw new Error(`${what}: no answer`);
  return answer.value;
}
