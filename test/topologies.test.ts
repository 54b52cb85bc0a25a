import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TopologyTestDriver } from '../src/testing/index.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { registerBuiltinTransforms } from '../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { featuresFor } from './helpers/ctr-model.js';

const folder = fileURLToPath(new URL('../topologies/', import.meta.url));
const files = readdirSync(folder).filter((file) => file.endsWith('.yaml'));

test('every example topology is valid, including its transforms, schemas and model files', async () => {
  assert.deepEqual(files.sort(), ['ab-test.yaml', 'cascade.yaml', 'demo.yaml', 'per-key-models.yaml']);
  const transforms = registerBuiltinTransforms(new TransformRegistry(), { baseDir: folder });
  for (const file of files) {
    const loaded = await loadTopologyFile(join(folder, file), { knownFunctions: transforms });
    assert.ok(loaded.spec.stages.length > 0, file);
  }
});

test('the cascade turns N requests into N ranked results whose lineage names both models in order', async () => {
  const { spec, baseDir, modelsRoot } = await loadTopologyFile(join(folder, 'cascade.yaml'));
  const driver = new TopologyTestDriver(spec, { baseDir, modelsRoot, plugins: { transforms: registerBuiltinTransforms(new TransformRegistry(), { baseDir }) } });
  const requests = Array.from({ length: 50 }, (_, index) => ({ key: `user-${index % 7}`, value: { id: `pv-${index}`, user: `user-${index % 7}`, features: featuresFor(index) } }));
  try {
    await driver.pipe('page-views', requests);
    const ranked = await driver.read('ranked');
    assert.equal(ranked.length, requests.length);
    assert.deepEqual(ranked.map((record) => (record.value as { id: string }).id).sort(), requests.map((request) => request.value.id).sort());
    for (const record of ranked) {
      const value = record.value as { id: string; requestId: string; score: number; shortlist: { id: string; score: number }[]; modelId: string };
      assert.equal(value.requestId, value.id, 'the request id survives the whole cascade');
      assert.equal(value.modelId, 'ranker');
      assert.equal(value.shortlist.length, 8);
      assert.ok(value.score > 0 && value.score < 1);
      assert.match(record.headers['kascade.lineage.models'] ?? '', /^ad-scorer@sha256:[0-9a-f]{12},ranker@sha256:[0-9a-f]{12}$/);
    }
    assert.deepEqual(driver.topics().filter((topic) => topic.endsWith('.dlq')), []);
  } finally {
    await driver.close();
  }
});
