import { sep } from 'node:path';

/** Where a frame of @platformatic/kafka's own code shows in a stack, on any platform. */
const PLATFORMATIC_FRAME = `${sep}@platformatic${sep}kafka${sep}`;

/** An error thrown from inside @platformatic/kafka's own callbacks: its top frame is the library's. */
export function isKafkaClientCallbackThrow(error: unknown): error is Error {
  if (!(error instanceof Error) || error.stack === undefined) return false;
  const firstFrame = error.stack.split('\n').find((line) => line.trimStart().startsWith('at '));
  return firstFrame !== undefined && (firstFrame.includes(PLATFORMATIC_FRAME) || firstFrame.includes('/@platformatic/kafka/'));
}

/**
 * For a process that runs stages (`kascade run`), never for a library user's process: an error
 * @platformatic/kafka 1.35 throws from inside one of its callbacks (upstream item 10 in
 * docs/kafka-clients.md: a coordinator missing from metadata, as after a fenced broker) would end
 * the process. Such an error is handed to `onClientThrow`, which replaces the clients; any other
 * uncaught exception still ends the process as Node would (its stack on stderr, exit code 1).
 * Returns the function that removes the guard.
 */
export function guardKafkaClientCallbacks(onClientThrow: (error: Error) => void): () => void {
  const listener = (error: unknown): void => {
    if (isKafkaClientCallbackThrow(error)) {
      onClientThrow(error);
      return;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', listener);
  return () => process.off('uncaughtException', listener);
}
