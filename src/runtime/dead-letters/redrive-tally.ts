import type { DeadLetter, RedriveDecision } from './redrive.js';

/** A refused or failed dead letter, named by where it sits in the dead-letter topic. */
export interface RedriveProblem {
  readonly partition: number;
  readonly offset: string;
  readonly code: string;
  /** Why: the redrive count for a refusal, the reason for a failure. */
  readonly detail: string;
}

/** Problems listed one by one at most; beyond that they are only counted (a summary stays readable). */
export const LISTED_PROBLEMS = 20;

/** What a redrive did (or, dry, would do) with the dead letters it read. */
export class RedriveTally {
  read = 0;
  skipped = 0;
  refused = 0;
  failed = 0;
  /** Target topic -> error code -> records. */
  readonly redriven = new Map<string, Map<string, number>>();
  readonly refusals: RedriveProblem[] = [];
  readonly failures: RedriveProblem[] = [];

  add(deadLetter: DeadLetter, decision: RedriveDecision): void {
    this.read++;
    switch (decision.kind) {
      case 'skip':
        this.skipped++;
        return;
      case 'redrive': {
        const byCode = this.redriven.get(decision.topic) ?? new Map<string, number>();
        byCode.set(decision.code, (byCode.get(decision.code) ?? 0) + 1);
        this.redriven.set(decision.topic, byCode);
        return;
      }
      case 'refuse':
        this.refused++;
        if (this.refusals.length < LISTED_PROBLEMS) this.refusals.push(problem(deadLetter, decision.code, `redriven ${decision.count} times`));
        return;
      case 'fail':
        this.failed++;
        if (this.failures.length < LISTED_PROBLEMS) this.failures.push(problem(deadLetter, decision.code, decision.reason));
        return;
    }
  }

  get redrivenTotal(): number {
    let total = 0;
    for (const byCode of this.redriven.values()) for (const count of byCode.values()) total += count;
    return total;
  }

  /** True when every selected dead letter was (or would be) redriven. */
  get clean(): boolean {
    return this.refused === 0 && this.failed === 0;
  }
}

function problem(deadLetter: DeadLetter, code: string, detail: string): RedriveProblem {
  return { partition: deadLetter.partition, offset: deadLetter.offset, code, detail };
}
