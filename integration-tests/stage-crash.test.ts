import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testKafka } from './helpers/kafka.js';
import { PIPELINE_FILE, PipelineFixture, TRANSFORMS_FILE } from './helpers/pipeline-fixture.js';
import { decodeAvro, readAll, tally, waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

const kafka = testKafka('stage-crash');
const RECORDS = 8000;

/** Runs the `score` stage, SIGKILLs it once output is flowing, restarts it, and tallies the output. */
async function killMidStreamAndRestart(delivery: 'at-least-once' | 'exactly-once') {
  const fixture = new PipelineFixture(delivery);
  fixture.createTopics();
  const requests = PipelineFixture.requests(RECORDS, 50);
  await fixture.produce(kafka, requests);

  const args = [PIPELINE_FILE, '--stage', 'score', '--transforms', TRANSFORMS_FILE];
  const first = await StageProcess.start(args, fixture.env, 1);
  await waitForRecords(kafka, fixture.scored, 1000);
  const exit = await first.kill('SIGKILL');
  assert.equal(exit.signal, 'SIGKILL');
  const committedAtKill = await fixture.committed(kafka, 'score', fixture.requests);
  assert.ok(committedAtKill < RECORDS, `killed mid-stream: ${committedAtKill} of ${RECORDS} inputs were committed`);

  const second = await StageProcess.start(args, fixture.env, 1);
  try {
    await fixture.waitForCaughtUp(kafka, 'score', fixture.requests);
  } finally {
    await second.kill('SIGTERM');
  }
  const outputs = await decodeAvro<{ id: string }>(await readAll(kafka, fixture.scored));
  return tally(
    requests.map((request) => request.id),
    outputs.map((output) => output.id),
  );
}

test('at-least-once: after SIGKILL mid-stream and a restart, every input id is in the output', async (t) => {
  const { missing, duplicated, unexpected } = await killMidStreamAndRestart('at-least-once');
  t.diagnostic(`duplicates after the crash (allowed at-least-once): ${duplicated.length}`);
  assert.deepEqual({ missing, unexpected }, { missing: [], unexpected: [] });
});

test('exactly-once: after SIGKILL mid-stream and a restart, a read_committed consumer sees every id exactly once', async () => {
  const { missing, duplicated, unexpected } = await killMidStreamAndRestart('exactly-once');
  assert.deepEqual({ missing, duplicated, unexpected }, { missing: [], duplicated: [], unexpected: [] });
});
