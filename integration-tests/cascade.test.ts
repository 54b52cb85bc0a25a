import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadDemoWorld, worldRequest, worldUser } from '../src/experiments/demo-world.js';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { runTopology, type RunningTopology } from '../src/kafka/topology-runner.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { topologyTopics } from '../src/topology/topics.js';
import { registerBuiltinTransforms } from '../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { isolatedTopology } from './helpers/isolated-topology.js';
import { connection, testKafka, testAccess } from './helpers/kafka.js';
import { decodeAvro, readAll, tally, waitForRecords } from './helpers/read-topic.js';
import type { Ranked } from '../test/helpers/ranked.js';

const kafka = testKafka('cascade');
const REQUESTS = 2000;


const weights = (model: string): Record<string, unknown> => JSON.parse(readFileSync(`models/${model}.weights.json`, 'utf8')) as Record<string, unknown>;
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] ?? Number.NaN), 0);

test('the cascade on the real broker: 2,000 requests -> candidates -> top-4/explode/enrich -> ranker -> collect, every request complete and right, across a restart of collect', async () => {
  const loaded = await loadTopologyFile('topologies/cascade.yaml');
  const run = `casc${randomUUID().slice(0, 8)}`;
  const spec = isolatedTopology(loaded.spec, run);
  const topic = (name: string): string => `${run}.${name}`;
  await ensureTopics(testAccess, topologyTopics(spec));

  const world = loadDemoWorld('models/demo-world.json');
  const requests = Array.from({ length: REQUESTS }, (_, index) => worldRequest(world, run, index, 300));
  const producer = createProducer(kafka);
  await producer.connect();
  for (let start = 0; start < requests.length; start += 500) {
    await producer.send({ topic: topic('page-views'), messages: requests.slice(start, start + 500).map((request) => ({ key: request.user, value: JSON.stringify(request) })) });
  }
  await producer.disconnect();

  const logs: string[] = [];
  const start = (stages: string[]): Promise<RunningTopology> =>
    runTopology({
      spec,
      connection,
      serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir: loaded.baseDir }),
      plugins: { transforms: registerBuiltinTransforms(new TransformRegistry(), { baseDir: loaded.baseDir }) },
      logger: jsonLogger('info', {}, (line) => logs.push(line)),
      modelsRoot: loaded.modelsRoot,
      stages,
    });
  const models = await start(['candidates', 'rank']);
  let collect = await start(['pick']);
  const stats: Record<string, number>[] = [];
  try {
    // Stop collect part-way (requests held back are not committed) and let a new instance take over.
    await waitForRecords(kafka, topic('ranked'), REQUESTS / 3);
    stats.push(numbers(collect.stats()['pick']));
    await collect.stop();
    collect = await start(['pick']);
    await waitForRecords(kafka, topic('ranked'), REQUESTS);
    stats.push(numbers(collect.stats()['pick']), numbers(models.stats()['candidates']), numbers(models.stats()['rank']));
  } finally {
    await collect.stop();
    await models.stop();
  }

  const ranked = await decodeAvro<Ranked>(await readAll(kafka, topic('ranked')));
  const records = await readAll(kafka, topic('ranked'));
  const counts = tally(
    requests.map((request) => request.id),
    ranked.map((value) => value.id),
  );
  assert.deepEqual(counts.missing, [], 'every request completed');
  assert.deepEqual(counts.unexpected, []);
  console.log(`cascade: ${ranked.length} ranked records for ${REQUESTS} requests (${counts.duplicated.length} written again after the restart)`);
  // A graceful restart writes nothing twice (chunks in flight commit before the consumer stops);
  // after a crash, at-least-once may write a request again, but only whole and identical.
  assert.deepEqual(counts.duplicated, [], 'nothing written twice across a graceful restart');
  const first = new Map<string, Ranked>();
  for (const value of ranked) {
    const earlier = first.get(value.id);
    if (earlier === undefined) first.set(value.id, value);
    else assert.equal(JSON.stringify(value), JSON.stringify(earlier), `request ${value.id} written twice with different content`);
  }

  const candidates = weights('ad-candidates') as { weights: number[][]; bias: number[] };
  const ranker = weights('ranker-bilinear') as { interaction: number[][]; user_weights: number[]; ad_weights: number[]; bias: number };
  const catalog = new Map(world.ads.map((ad) => [ad.id, ad.features]));
  let worst = 0;
  for (const value of first.values()) {
    const request = requests.find((candidate) => candidate.id === value.id);
    assert.ok(request);
    assert.equal(value.complete, true, `${value.id} complete`);
    assert.equal(value.user, request.user);
    assert.equal(value.region, worldUser(world, run, request.user).region);
    // Model A, independently: sigmoid(u . W[:, j] + b[j]) per ad, top 4 by score (ties by index).
    const scores = world.ads.map((_, j) => sigmoid(dot(request.features, candidates.weights.map((row) => row[j] ?? Number.NaN)) + (candidates.bias[j] ?? Number.NaN)));
    const top4 = scores
      .map((score, j) => ({ id: world.ads[j]?.id ?? '', score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 4);
    assert.deepEqual(new Set(value.items.map((item) => item.candidate.id)), new Set(top4.map((entry) => entry.id)), `${value.id}: the shortlist is model A's top 4`);
    for (const item of value.items) {
      const expectedA = top4.find((entry) => entry.id === item.candidate.id)?.score ?? Number.NaN;
      // Model B, independently: sigmoid(u^T M a + u . wu + a . wa + b) on the ad's catalog features.
      const ad = catalog.get(item.candidate.id) ?? [];
      const bilinear = request.features.reduce((sum, u, i) => sum + u * dot(ranker.interaction[i] ?? [], ad), 0);
      const expectedB = sigmoid(bilinear + dot(request.features, ranker.user_weights) + dot(ad, ranker.ad_weights) + ranker.bias);
      worst = Math.max(worst, Math.abs(item.candidate.score - expectedA), Math.abs(item.score - expectedB));
    }
    const ordered = value.items.map((item) => item.score);
    assert.deepEqual(ordered, [...ordered].sort((a, b) => b - a), `${value.id}: best first`);
  }
  assert.ok(worst < 1e-5, `largest difference from the weights: ${worst}`);

  for (const record of records) {
    assert.match(record.headers['kascade.lineage.models'] ?? '', /^ad-candidates@sha256:[0-9a-f]{12},ranker-bilinear@sha256:[0-9a-f]{12}$/);
  }
  const requestIds = new Set(records.map((record) => record.headers['kascade.request-id']));
  assert.equal(requestIds.size, REQUESTS, 'the request id header survives explode and collect');
  for (const stage of stats) assert.equal(stage['deadLettered'] ?? 0, 0, JSON.stringify(stats));
  assert.equal(stats[2]?.['written'], REQUESTS * 4, 'candidates exploded every request into 4 records');
  assert.equal(stats[3]?.['written'], REQUESTS * 4);
  assert.equal((stats[0]?.['expired'] ?? 0) + (stats[1]?.['expired'] ?? 0), 0, 'no request waited for its timeout');
});

function numbers(stats: Readonly<Record<string, number | string>> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(stats ?? {}).map(([key, value]) => [key, Number(value)]));
}
