import { stackDown, stackUp } from '../../scripts/stack/lifecycle.js';
import { servicesToStart } from '../../scripts/stack/services-to-start.js';

/**
 * Starts the local stack when nothing answers at the default addresses (as `npm test` does) and
 * returns how to stop what it started. A cluster named by KAFKA_BROKERS must already run.
 */
export async function ensureLocalStack(say: (line: string) => void): Promise<() => Promise<void>> {
  const missing = await servicesToStart();
  if (missing.length === 0) return () => Promise.resolve();
  say('starting the local stack for this run');
  const started = await stackUp(say, missing);
  return async () => {
    say('stopping the local stack it started');
    await stackDown(say, started);
  };
}
