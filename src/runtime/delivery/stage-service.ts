import type { Membership } from './ports.js';
import type { StageCounters, StageExit } from './stage-engine.js';

/** One running stage instance, whatever carries its records. */
export interface StageService {
  /** Records consumed, written, dead-lettered and skipped so far. */
  readonly counters: Readonly<StageCounters>;
  /** Resolves when the stage stopped, or failed on its own. */
  readonly exited: Promise<StageExit>;
  /** Whether it is in its consumer group, as whom, since when. */
  membership(): Membership;
  /** Finishes the chunks in flight, commits what was written, leaves the group. Idempotent. */
  stop(): Promise<void>;
}
