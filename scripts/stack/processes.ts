import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Every process the stack starts carries this marker in its command line, so a recycled pid is never signalled. */
export function processMarker(stackDir: string, service: string): string {
  return `-Dkascade.stack=${stackDir}#${service}`;
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** True when `pid` is alive and its command line carries `marker`. */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine.includes(marker);
  } catch {
    return false;
  }
}

export interface StartedProcess {
  readonly pid: number;
  /** Set once the process has exited (it is our child, so we see it). */
  exitCode(): number | null | undefined;
}

/** Starts a long-running process in its own process group, detached from ours, output appended to `logFile`. */
export function startDetached(command: string, args: readonly string[], options: { cwd: string; logFile: string; pidFile: string }): StartedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  mkdirSync(dirname(options.pidFile), { recursive: true });
  const log = openSync(options.logFile, 'w');
  const child = spawn(command, args, { cwd: options.cwd, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  let exit: number | null | undefined;
  child.on('exit', (code, signal) => {
    exit = code ?? (signal === null ? null : 128);
  });
  child.on('error', () => {
    exit = 127;
  });
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  return { pid: child.pid, exitCode: () => exit };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

/** SIGTERM (a clean shutdown), then SIGKILL after `graceMs`. Returns how it ended. */
export async function stopProcess(pid: number, graceMs: number): Promise<'terminated' | 'killed'> {
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
  return 'killed';
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}
