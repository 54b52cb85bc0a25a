import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadDemoWorld, trueClickProbability, worldRequest, worldUser } from '../src/experiments/demo-world.js';
import type { OfflineReport } from '../src/experiments/offline/offline-report.js';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { runReplay } from '../src/kafka/operator/replay.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { runTopology } from '../src/kafka/topology-runner.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { topologyTopics } from '../src/topology/topics.js';
import { registerBuiltinTransforms } from '../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { isolatedTopology } from './helpers/isolated-topology.js';
import { connection, createTopic, testKafka, testAccess } from './helpers/kafka.js';
import { decodeAvro, readAll, waitForRecords } from './helpers/read-topic.js';
import type { Ranked } from '../test/helpers/ranked.js';

const kafka = testKafka('offline');
const REQUESTS = 6000;
/** Fixed, so the users, the exploration draws and the clicks are the same every run (the check is deterministic). */
const SEED = 'offline-eval';


const cli = (args: readonly string[]): string => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, `kascade ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

test("offline evaluation: the challenger replayed on the champion's exploring logs; IPS brackets its true CTR, agreement and score shift reported", async () => {
  const loaded = await loadTopologyFile('topologies/offline-eval.yaml');
  const run = `off${randomUUID().slice(0, 8)}`;
  const spec = isolatedTopology(loaded.spec, run);
  const topic = (name: string): string => `${run}.${name}`;
  await ensureTopics(testAccess, topologyTopics(spec));
  const world = loadDemoWorld('models/demo-world.json');
  const seed = SEED;
  const requests = Array.from({ length: REQUESTS }, (_, index) => worldRequest(world, seed, index, 1000));
  const producer = createProducer(kafka);
  await producer.connect();
  const started = Date.now() - 1000;
  for (let start = 0; start < REQUESTS; start += 500) {
    await producer.send({ topic: topic('requests'), messages: requests.slice(start, start + 500).map((request) => ({ key: request.user, value: JSON.stringify(request) })) });
  }
  await producer.disconnect();

  const running = await runTopology({
    spec,
    connection,
    serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir: loaded.baseDir }),
    plugins: { transforms: registerBuiltinTransforms(new TransformRegistry(), { baseDir: loaded.baseDir }) },
    logger: jsonLogger('error', {}, () => undefined),
    modelsRoot: loaded.modelsRoot,
  });
  try {
    // The champion's logged requests, replayed into the challenger's input.
    const replay = await runReplay(testAccess, { id: `${run}-shadow`, source: topic('requests'), destination: topic('shadow.requests'), from: { kind: 'timestamp', ms: started }, keepPartitions: true, dryRun: false });
    assert.equal(replay.copied, REQUESTS);
    await waitForRecords(kafka, topic('logged'), REQUESTS);
    await waitForRecords(kafka, topic('shadow.ranked'), REQUESTS);
  } finally {
    await running.stop();
  }
  await createTopic(kafka, topic('clicks'), 4);
  cli(['simulate', 'clicks', '--impressions', topic('logged'), '--clicks', topic('clicks'), '--world', 'models/demo-world.json', '--ad-field', 'shown.candidate.id', '--seed', seed]);
  const report = JSON.parse(cli(['compare', '--logged', topic('logged'), '--shadow', topic('shadow.ranked'), '--clicks', topic('clicks'), '--json'])) as OfflineReport;
  const { evaluation } = report;
  assert.equal(evaluation.matched, REQUESTS);
  assert.equal(evaluation.loggedWithoutShadow, 0);

  // The truth, from the world: the challenger's expected CTR on these requests.
  const shadow = await decodeAvro<Ranked>(await readAll(kafka, topic('shadow.ranked')));
  const logged = (await readAll(kafka, topic('logged'))).map((record) => JSON.parse(record.value?.toString() ?? '{}') as Ranked);
  const truth =
    shadow.reduce((sum, record) => {
      const user = worldUser(world, seed, record.user);
      return sum + trueClickProbability(world, user.features, user.region, record.items[0]?.candidate.id ?? '');
    }, 0) / shadow.length;
  assert.ok(evaluation.ips.low <= truth && truth <= evaluation.ips.high, `IPS ${JSON.stringify(evaluation.ips)} should bracket the true CTR ${truth}`);
  assert.ok(evaluation.ips.standardError > 0 && evaluation.ips.standardError < 0.02, `standard error ${evaluation.ips.standardError}`);
  assert.ok(evaluation.ips.supported > REQUESTS / 4, 'exploration showed the challenger\'s choice often enough');

  const choices = new Map(shadow.map((record) => [record.id, record.items[0]?.candidate.id]));
  const agreeing = logged.filter((record) => choices.get(record.id) === record.items[0]?.candidate.id).length;
  assert.equal(evaluation.agreement.value, agreeing / REQUESTS);
  assert.ok(evaluation.agreement.value > 0.2 && evaluation.agreement.value < 1, `agreement ${evaluation.agreement.value}`);
  assert.ok(evaluation.scores.ks !== undefined && evaluation.scores.ks.statistic > 0);
  assert.equal(evaluation.scores.logged?.count, REQUESTS);
  console.log(`offline: IPS ${evaluation.ips.value.toFixed(4)} [${evaluation.ips.low.toFixed(4)}, ${evaluation.ips.high.toFixed(4)}], truth ${truth.toFixed(4)}, logged CTR ${evaluation.loggedCtr.value.toFixed(4)}, agreement ${evaluation.agreement.value.toFixed(3)}, KS D ${evaluation.scores.ks.statistic.toFixed(3)}`);
});
