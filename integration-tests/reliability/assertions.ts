import assert from 'node:assert/strict';
import type { Delivery, ReliabilityRun } from './reliability-run.js';
import { formatVerdict, type StageVerdict } from './verifier.js';

/**
 * The pass criteria of the fault tests. At-least-once: nothing missing, nothing unexpected, per-key
 * order kept (a replayed stretch is allowed). Exactly-once: also nothing duplicated for
 * read_committed readers. Both: no transaction left open, and `deadLettered` exactly as expected
 * (0 for good input: a fault must not turn good records into dead letters).
 */
export function assertDelivered(verdict: StageVerdict, delivery: Delivery, deadLettered = 0, noDuplicates = delivery === 'exactly-once'): void {
  const found = {
    missing: verdict.missing.slice(0, 20),
    unexpected: verdict.unexpected.slice(0, 20),
    orderViolations: verdict.orderViolations,
    deadLettered: verdict.deadLettered,
    transactionsClosed: verdict.transactionsClosed,
    ...(noDuplicates ? { duplicated: verdict.duplicated.slice(0, 20) } : {}),
  };
  const wanted = {
    missing: [],
    unexpected: [],
    orderViolations: [],
    deadLettered,
    transactionsClosed: true,
    ...(noDuplicates ? { duplicated: [] } : {}),
  };
  assert.deepEqual(found, wanted, `stage ${verdict.stage} (${delivery})`);
  assert.ok(verdict.inputs > 0, `stage ${verdict.stage} read something`);
}

/** Verifies both stages of a run against the pass criteria, printing the verifier's line for each. */
/** `noDuplicates`: also at-least-once, where only faults (not orderly rebalances) may write twice. */
export async function assertRunDelivered(run: ReliabilityRun, diagnostic: (line: string) => void, label?: string, noDuplicates?: boolean): Promise<void> {
  for (const stage of ['prepare', 'score'] as const) {
    const verdict = await run.verify(stage);
    diagnostic(`${label === undefined ? '' : `${label}: `}${formatVerdict(verdict)}`);
    assertDelivered(verdict, run.options.delivery, 0, noDuplicates ?? run.options.delivery === 'exactly-once');
  }
}
