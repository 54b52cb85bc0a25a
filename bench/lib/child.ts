import { spawn, type ChildProcess } from 'node:child_process';
import { KASCADE_CLI, kascadeNodeFlags } from './build.js';

/** A process the bench runs (a kascade stage, a baseline): its output kept, killable, awaited. */
export class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly process: ChildProcess;

  constructor(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    this.process = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.lines.push(line);
      // Only the tail matters for errors; a long run must not hold every log line.
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 1000);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
  }

  /** `kascade run` with the bench topology, as users deploy a stage (the compiled CLI: call buildKascade first). */
  static stage(stages: readonly string[], env: Readonly<Record<string, string>>, extraArgs: readonly string[] = []): Child {
    const args = [...kascadeNodeFlags(), KASCADE_CLI, 'run', 'bench/topologies/bench.yaml', ...stages.flatMap((stage) => ['--stage', stage]), ...extraArgs];
    return new Child(process.execPath, args, { KASCADE_LOG_LEVEL: 'info', ...env });
  }

  /** A TypeScript baseline of bench/baselines. */
  static script(file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Child {
    return new Child(process.execPath, ['--import', 'tsx', file, ...args], env);
  }

  /** The process id while it runs (the CPU sampler reads /proc/<pid>/stat). */
  get pid(): number | undefined {
    return this.running ? this.process.pid : undefined;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.running) this.process.kill('SIGKILL');
    await this.exited;
  }

  /** The port of the process's /metrics, once it logged `endpoints listening`. */
  get metricsPort(): number | undefined {
    for (const line of this.lines) {
      const match = /"msg":"endpoints listening".*"port":(\d+)/.exec(line);
      if (match?.[1] !== undefined) return Number(match[1]);
    }
    return undefined;
  }

  tail(count = 15): string {
    return this.lines.slice(-count).join('\n');
  }
}

/** A process waited on: waiting stops when it died. */
export interface Watched {
  readonly running: boolean;
  tail(): string;
}

/** Polls `condition` every `intervalMs` until it holds; throws with `what` on timeout or when a child died. */
export async function until(condition: () => Promise<boolean>, what: () => string, timeoutMs: number, children: readonly Watched[] = [], intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    const dead = children.find((child) => !child.running);
    if (dead !== undefined) throw new Error(`a bench process exited early while waiting for ${what()}:\n${dead.tail()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
