import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connection, testKafka } from '../helpers/kafka.js';
import { assertRunDelivered } from './assertions.js';
import { ReliabilityRun, type Delivery } from './reliability-run.js';

const kafka = testKafka('reliability-crash');
const KILLS = 3;
const RATE = 800;

/**
 * The score stage is SIGKILLed three times while events stream in, each time once it has
 * written more since its last start (so it dies mid-work: a batch decoded, inferred, perhaps
 * produced, not committed), and restarted. Then both stages catch up and the verifier checks.
 */
async function killThreeTimes(delivery: Delivery, t: test.TestContext): Promise<void> {
  const run = new ReliabilityRun(kafka, { delivery, connection });
  await run.prepare();
  try {
    run.generator.startSteady(RATE);
    await run.startStage('prepare');
    let score = await run.startStage('score');
    let written = await run.written(run.topic('scored'));
    for (let kill = 1; kill <= KILLS; kill += 1) {
      written = await run.waitForGrowth(run.topic('scored'), written, 600);
      const exit = await score.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');
      score = await run.startStage('score');
    }
    const events = await run.generator.stop();
    t.diagnostic(`${events} events generated (${run.generator.retries} sends retried)`);
    await run.waitForCaughtUp('prepare');
    await run.waitForCaughtUp('score');
  } finally {
    await run.close();
  }
  await assertRunDelivered(run, (line) => t.diagnostic(line), `SIGKILL x${KILLS} (${delivery})`);
}

test('at-least-once: the score stage SIGKILLed mid-work 3 times and restarted loses nothing and keeps per-key order', async (t) => {
  await killThreeTimes('at-least-once', t);
});

test('exactly-once: the score stage SIGKILLed mid-work 3 times and restarted: every id exactly once for read_committed readers', async (t) => {
  await killThreeTimes('exactly-once', t);
});
