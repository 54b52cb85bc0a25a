import type { Log } from './fetch.js';

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

/** One process of the local stack, as the lifecycle sees it. */
export interface LocalService {
  readonly name: string;
  /** Where clients reach it, for messages. */
  readonly address: string;
  readonly logFile: string;
  readonly pidFile: string;
  /** Carried in the process's command line; see processMarker. */
  readonly marker: string;
  /** A quick check that something answers at `address` now. */
  answering(): Promise<boolean>;
  /** Fetches what is missing and prepares storage; returns how to start the process. */
  prepare(log: Log): Promise<LaunchSpec>;
  /** Resolves when clients can use the service; `beforeAttempt` throws to stop waiting. */
  waitReady(timeoutMs: number, beforeAttempt: () => void): Promise<void>;
}
