import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testKafka } from './helpers/kafka.js';
import { PIPELINE_FILE, PipelineFixture, TRANSFORMS_FILE } from './helpers/pipeline-fixture.js';
import { decodeAvro, readAll, tally, waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

const kafka = testKafka('stage-runner');

interface Labelled {
  readonly id: string;
  readonly user: string;
  readonly seq: number;
  readonly score: number;
  readonly label: string;
}

function assertInOrderPerUser(outputs: readonly Labelled[]): void {
  const lastSeq = new Map<string, number>();
  for (const output of outputs) {
    const previous = lastSeq.get(output.user) ?? -1;
    assert.ok(output.seq > previous, `${output.user}: seq ${output.seq} after ${previous}`);
    lastSeq.set(output.user, output.seq);
  }
}

test('10,000 Avro records pass through a 2-stage pipeline exactly once each, in order per key, with the right values', async () => {
  const fixture = new PipelineFixture();
  fixture.createTopics();
  const requests = PipelineFixture.requests(10_000, 40);
  await fixture.produce(kafka, requests);

  const stages = await StageProcess.start([PIPELINE_FILE, '--transforms', TRANSFORMS_FILE], fixture.env, 2);
  try {
    await fixture.waitForCaughtUp(kafka, 'score', fixture.requests);
    await fixture.waitForCaughtUp(kafka, 'label', fixture.scored);
    const outputs = await decodeAvro<Labelled>(await readAll(kafka, fixture.labelled));
    const { missing, duplicated, unexpected } = tally(
      requests.map((request) => request.id),
      outputs.map((output) => output.id),
    );
    assert.deepEqual({ missing: missing.length, duplicated: duplicated.length, unexpected: unexpected.length }, { missing: 0, duplicated: 0, unexpected: 0 });
    assert.equal(outputs.length, requests.length);
    // Readers of one partition see its keys in order; records of a user are all on one partition.
    assertInOrderPerUser(outputs);
    const byId = new Map(requests.map((request) => [request.id, request]));
    for (const output of outputs) {
      const request = byId.get(output.id)!;
      assert.equal(output.score, request.amount * 2);
      assert.equal(output.label, request.amount * 2 > 100 ? 'high' : 'low');
    }
  } finally {
    await stages.kill('SIGTERM');
  }
});

test('SIGTERM during load drains and commits: after a restart nothing is lost and nothing duplicated', async () => {
  const fixture = new PipelineFixture();
  fixture.createTopics();
  const requests = PipelineFixture.requests(6000, 30);
  await fixture.produce(kafka, requests);

  const args = [PIPELINE_FILE, '--stage', 'score', '--transforms', TRANSFORMS_FILE];
  const first = await StageProcess.start(args, fixture.env, 1);
  await waitForRecords(kafka, fixture.scored, 500);
  const exit = await first.kill('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, first.tail());
  assert.ok(first.output.some((line) => line.includes('"msg":"stage stopped"')), 'the stage logged its clean stop');

  const second = await StageProcess.start(args, fixture.env, 1);
  try {
    await fixture.waitForCaughtUp(kafka, 'score', fixture.requests);
    const outputs = await decodeAvro<Labelled>(await readAll(kafka, fixture.scored));
    const { missing, duplicated } = tally(
      requests.map((request) => request.id),
      outputs.map((output) => output.id),
    );
    assert.deepEqual({ missing, duplicated }, { missing: [], duplicated: [] });
  } finally {
    await second.kill('SIGTERM');
  }
});
