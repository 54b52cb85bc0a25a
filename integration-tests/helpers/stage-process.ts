import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for.js';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** `kascade run` as a separate process, the way users deploy a stage: killable, restartable. */
export class StageProcess {
  readonly output: string[] = [];
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;

  private constructor(args: readonly string[], env: Readonly<Record<string, string>>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args], {
      env: { ...process.env, KASCADE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `kascade run <args>` without waiting for anything (e.g. to see it refuse to start). */
  static launch(args: readonly string[], env: Readonly<Record<string, string>>): StageProcess {
    return new StageProcess(args, env);
  }

  /** Starts `kascade run <args>` and waits until every stage in it has joined its group. */
  static async start(args: readonly string[], env: Readonly<Record<string, string>>, stages: number): Promise<StageProcess> {
    const process = new StageProcess(args, env);
    await process.waitForLog(/"msg":"stage running"/, stages, 60_000);
    return process;
  }

  async waitForLog(pattern: RegExp, count = 1, timeoutMs = 30_000): Promise<void> {
    let exit: ProcessExit | undefined;
    void this.exited.then((value) => {
      exit = value;
    });
    await waitFor(
      () => {
        if (exit !== undefined) throw new Error(`stage process exited (${JSON.stringify(exit)}) before logging ${String(pattern)}:\n${this.tail()}`);
        return this.output.filter((line) => pattern.test(line)).length >= count;
      },
      { what: () => `${count} log lines matching ${String(pattern)}:\n${this.tail()}`, timeoutMs },
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal without waiting for an exit (SIGSTOP / SIGCONT freeze and thaw it). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  kill(signal: NodeJS.Signals): Promise<ProcessExit> {
    this.child.kill(signal);
    return this.exited;
  }

  tail(lines = 20): string {
    return this.output.slice(-lines).join('\n');
  }
}
