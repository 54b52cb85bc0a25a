import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TopologyTestDriver } from '../src/testing/index.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { registerBuiltinTransforms } from '../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { loadDemoWorld, worldRequest } from '../src/experiments/demo-world.js';
import type { Ranked } from './helpers/ranked.js';

const folder = fileURLToPath(new URL('../topologies/', import.meta.url));
const files = readdirSync(folder).filter((file) => file.endsWith('.yaml'));

test('every example topology is valid, including its transforms, schemas and model files', async () => {
  assert.deepEqual(files.sort(), ['ab-test.yaml', 'cascade.yaml', 'demo.yaml', 'offline-eval.yaml', 'per-key-models.yaml']);
  const transforms = registerBuiltinTransforms(new TransformRegistry(), { baseDir: folder });
  for (const file of files) {
    const loaded = await loadTopologyFile(join(folder, file), { knownFunctions: transforms });
    assert.ok(loaded.spec.stages.length > 0, file);
  }
});


test('the cascade turns N requests into N ranked results whose lineage names both models in order', async () => {
  const { spec, baseDir, modelsRoot } = await loadTopologyFile(join(folder, 'cascade.yaml'));
  const driver = new TopologyTestDriver(spec, { baseDir, modelsRoot, plugins: { transforms: registerBuiltinTransforms(new TransformRegistry(), { baseDir }) } });
  const world = loadDemoWorld(join(folder, '../models/demo-world.json'));
  const requests = Array.from({ length: 60 }, (_, index) => worldRequest(world, 'unit', index, 25)).map((request) => ({ key: request.user, value: request }));
  try {
    await driver.pipe('page-views', requests);
    const ranked = await driver.read('ranked');
    assert.equal(ranked.length, requests.length);
    assert.deepEqual(ranked.map((record) => (record.value as Ranked).id).sort(), requests.map((request) => request.value.id).sort());
    for (const record of ranked) {
      const value = record.value as Ranked;
      assert.equal(record.headers['kascade.request-id'], value.id, 'the request id survives explode and collect');
      assert.equal(value.complete, true);
      assert.equal(value.items.length, 4);
      assert.equal(new Set(value.items.map((item) => item.candidate.id)).size, 4);
      const scores = value.items.map((item) => item.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first');
      assert.match(record.headers['kascade.lineage.models'] ?? '', /^ad-candidates@sha256:[0-9a-f]{12},ranker-bilinear@sha256:[0-9a-f]{12}$/);
    }
    assert.deepEqual(driver.topics().filter((topic) => topic.endsWith('.dlq')), []);
  } finally {
    await driver.close();
  }
});

test('the demo topology serves every request in exactly one arm; the champion ranks with the regional model of the user', async () => {
  const { spec, baseDir, modelsRoot } = await loadTopologyFile(join(folder, 'demo.yaml'));
  const driver = new TopologyTestDriver(spec, { baseDir, modelsRoot, plugins: { transforms: registerBuiltinTransforms(new TransformRegistry(), { baseDir }) } });
  const world = loadDemoWorld(join(folder, '../models/demo-world.json'));
  const requests = Array.from({ length: 80 }, (_, index) => worldRequest(world, 'unit', index, 40)).map((request) => ({ key: request.user, value: request }));
  try {
    await driver.pipe('demo.requests', requests);
    const champion = await driver.read('demo.impressions.champion');
    const challenger = await driver.read('demo.impressions.challenger');
    assert.equal(champion.length + challenger.length, requests.length);
    assert.ok(champion.length > 0 && challenger.length > 0, 'both arms get traffic');
    const served = [...champion, ...challenger].map((record) => (record.value as Ranked).id);
    assert.equal(new Set(served).size, requests.length, 'no request served twice');
    for (const record of champion) {
      const value = record.value as Ranked;
      assert.equal(record.headers['kascade.arm'], 'champion');
      assert.match(record.headers['kascade.lineage.models'] ?? '', new RegExp(`^ad-candidates@sha256:[0-9a-f]{12},ranker-${value.region}@sha256:[0-9a-f]{12}$`));
    }
    for (const record of challenger) assert.match(record.headers['kascade.lineage.models'] ?? '', /,ranker-bilinear@/);
    const users = (records: typeof champion): Set<string> => new Set(records.map((record) => (record.value as Ranked).user));
    for (const user of users(champion)) assert.ok(!users(challenger).has(user), `user ${user} stays in one arm`);
  } finally {
    await driver.close();
  }
});
