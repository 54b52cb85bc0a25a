import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testKafka } from './helpers/kafka.js';
import { PIPELINE_FILE, PipelineFixture, TRANSFORMS_FILE, type Request } from './helpers/pipeline-fixture.js';
import { decodeAvro, readAll, waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

const kafka = testKafka('rerun');

test('kascade run --group NEW --from TIME --output-suffix re-runs a stage on exactly the records after that time, into its own topic, leaving production offsets alone', async () => {
  const fixture = new PipelineFixture();
  fixture.createTopics();
  const before = PipelineFixture.requests(1000, 20, 'old');
  const after = PipelineFixture.requests(700, 20, 'new');
  await fixture.produce(kafka, before);
  // Every record of `before` is stamped before this instant, every record of `after` at or after it.
  const from = Date.now() + 1;
  while (Date.now() <= from) await new Promise((resolve) => setImmediate(resolve));
  await fixture.produce(kafka, after);

  const production = await StageProcess.start([PIPELINE_FILE, '--stage', 'score', '--transforms', TRANSFORMS_FILE], fixture.env, 1);
  await fixture.waitForCaughtUp(kafka, 'score', fixture.requests);
  await production.kill('SIGTERM');
  const admin = kafka.admin();
  await admin.connect();
  const offsets = async (): Promise<string> => JSON.stringify(await admin.fetchOffsets({ groupId: fixture.group('score'), topics: [fixture.requests] }));
  try {
    const productionOffsets = await offsets();
    const experimentGroup = `${fixture.run}.experiment`;
    const args = [PIPELINE_FILE, '--stage', 'score', '--transforms', TRANSFORMS_FILE, '--group', experimentGroup, '--from', new Date(from).toISOString(), '--output-suffix', '.exp'];
    const experiment = await StageProcess.start(args, fixture.env, 1);
    try {
      await waitForRecords(kafka, `${fixture.scored}.exp`, after.length);
    } finally {
      await experiment.kill('SIGTERM');
    }
    const rescored = await decodeAvro<Request>(await readAll(kafka, `${fixture.scored}.exp`));
    assert.deepEqual(rescored.map((record) => record.id).sort(), after.map((request) => request.id).sort(), 'exactly the records after the time');
    assert.equal((await readAll(kafka, fixture.scored)).length, before.length + after.length, 'the production output is untouched');
    assert.equal(await offsets(), productionOffsets, "the production group's offsets are untouched");

    // The experiment group now has offsets: starting it "from" a point again is refused.
    const again = StageProcess.launch(args, fixture.env);
    assert.equal((await again.exited).code, 2);
    assert.match(again.tail(), /consumer group ".*\.experiment" already has offsets/);
  } finally {
    await admin.disconnect();
  }
});
