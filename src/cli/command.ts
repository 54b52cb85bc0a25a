/** A `kascade` sub-command. Exit codes: 0 ok, 1 the work failed or found problems, 2 bad usage or configuration. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

export class UsageError extends Error {}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`kascade: ${text.endsWith('\n') ? text : `${text}\n`}`);
}
