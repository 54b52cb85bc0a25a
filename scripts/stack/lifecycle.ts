import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from './fetch.js';
import { kafkaService } from './kafka-service.js';
import { shown, stackPaths } from './paths.js';
import { isOurProcess, readPid, removePidFile, startDetached, stopProcess, type StartedProcess } from './processes.js';
import { registryService } from './registry-service.js';
import { lastLines } from './run-command.js';
import type { LocalService } from './service.js';

export const SERVICES: readonly LocalService[] = [kafkaService, registryService];

const READY_TIMEOUT_MS = 120_000;
/** Kafka's controlled shutdown takes a few seconds; past this it is killed. */
const STOP_GRACE_MS = 30_000;

export type ServiceState =
  | { readonly kind: 'ours'; readonly pid: number; readonly answering: boolean }
  | { readonly kind: 'foreign' }
  | { readonly kind: 'stopped' };

export async function serviceState(service: LocalService): Promise<ServiceState> {
  const pid = readPid(service.pidFile);
  const ours = pid !== undefined && isOurProcess(pid, service.marker);
  if (pid !== undefined && !ours) removePidFile(service.pidFile);
  const answering = await service.answering();
  if (ours) return { kind: 'ours', pid, answering };
  return answering ? { kind: 'foreign' } : { kind: 'stopped' };
}

export class StackStartError extends Error {}

/**
 * Brings every service up, reusing what already runs (ours or not). Returns the services this
 * call started, so a caller that only needed them for a while can stop exactly those.
 */
export async function stackUp(log: Log, services: readonly LocalService[] = SERVICES): Promise<LocalService[]> {
  const toStart: LocalService[] = [];
  const toAwait: Array<{ service: LocalService; process?: StartedProcess }> = [];
  for (const service of services) {
    const state = await serviceState(service);
    if (state.kind === 'foreign') {
      log(`${service.name}: something not started by this script answers at ${service.address}; reusing it`);
    } else if (state.kind === 'ours') {
      log(`${service.name}: already running (pid ${state.pid}) at ${service.address}; reusing it`);
      if (!state.answering) toAwait.push({ service });
    } else {
      toStart.push(service);
    }
  }
  // Fetch one service at a time (concurrent Maven runs share ~/.m2), then start them together.
  const launches = [];
  for (const service of toStart) launches.push({ service, spec: await service.prepare(log) });
  const started: LocalService[] = [];
  for (const { service, spec } of launches) {
    const process = startDetached(spec.command, spec.args, { cwd: spec.cwd, logFile: service.logFile, pidFile: service.pidFile });
    log(`${service.name}: starting (pid ${process.pid}), log in ${shown(service.logFile)}`);
    started.push(service);
    toAwait.push({ service, process });
  }
  try {
    await Promise.all(toAwait.map(({ service, process }) => awaitReady(service, process, log)));
  } catch (error) {
    await stackDown(log, started);
    throw error;
  }
  return started;
}

async function awaitReady(service: LocalService, process: StartedProcess | undefined, log: Log): Promise<void> {
  const started = Date.now();
  const stillRunning = (): void => {
    const code = process?.exitCode();
    if (code !== undefined) throw new StackStartError(`${service.name} exited with code ${String(code)} while starting`);
  };
  try {
    await service.waitReady(READY_TIMEOUT_MS, stillRunning);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StackStartError(`${service.name} did not become ready: ${reason}\n${logExcerpt(service)}`);
  }
  log(`${service.name}: ready at ${service.address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function logExcerpt(service: LocalService): string {
  if (!existsSync(service.logFile)) return `(no log at ${shown(service.logFile)})`;
  const tail = lastLines(readFileSync(service.logFile, 'utf8'), 25);
  return `last lines of ${shown(service.logFile)}:\n${tail}`;
}

/** Stops the given services if this script started them (by pid file); never touches other processes. */
export async function stackDown(log: Log, services: readonly LocalService[] = SERVICES): Promise<void> {
  // Registry first: it is a Kafka client of nothing, but stopping in reverse start order is the habit that stays right.
  for (const service of [...services].reverse()) {
    const pid = readPid(service.pidFile);
    if (pid === undefined) continue;
    if (!isOurProcess(pid, service.marker)) {
      log(`${service.name}: pid ${pid} in ${shown(service.pidFile)} is gone or not ours; removing the stale pid file`);
      removePidFile(service.pidFile);
      continue;
    }
    const how = await stopProcess(pid, STOP_GRACE_MS);
    removePidFile(service.pidFile);
    log(`${service.name}: stopped (pid ${pid}, ${how})`);
  }
}

/**
 * Stops the stack and deletes what it stored: every topic, offset and schema, and the logs. The
 * downloaded jars stay. Test runs leave their topics behind (each run's names are new), so a
 * long-used broker grows; a fresh one starts on the next `up`.
 */
export async function stackReset(log: Log): Promise<void> {
  await stackDown(log);
  for (const dir of [stackPaths.data, stackPaths.logs]) {
    if (!existsSync(dir)) continue;
    const size = directoryBytes(dir);
    rmSync(dir, { recursive: true, force: true });
    log(`deleted ${shown(dir)} (${(size / 2 ** 20).toFixed(0)} MiB)`);
  }
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

export function describeState(service: LocalService, state: ServiceState): string {
  switch (state.kind) {
    case 'ours':
      return `${service.name}: running (pid ${state.pid}), ${state.answering ? 'answering' : 'NOT answering'} at ${service.address}; log ${shown(service.logFile)}`;
    case 'foreign':
      return `${service.name}: answering at ${service.address} (not started by this script)`;
    case 'stopped':
      return `${service.name}: stopped`;
  }
}
