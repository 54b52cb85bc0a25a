import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TopologyTestDriver } from '../../src/testing/index.js';
import { parseTopology } from '../../src/topology/load.js';
import { featuresFor, logistic, readWeights } from '../helpers/ctr-model.js';

const modelsRoot = fileURLToPath(new URL('../../models/', import.meta.url));

const { spec } = parseTopology(
  `
name: ctr
topics:
  requests: { partitions: 2, external: true }
  predictions: { partitions: 2, format: avro }
stages:
  - name: score
    type: inference
    input: requests
    model: { id: ctr-logreg, path: ctr-logreg.onnx }
    requestId: { field: id }
    inputs:
      features: { field: features }
    outputs:
      probability: { output: probability }
    passthrough: [id, user]
    output: predictions
`,
  'ctr.yaml',
  { baseDir: modelsRoot },
);

test('an inference stage scores records with the real model in memory; records that do not fit are dead-lettered alone', async () => {
  const driver = new TopologyTestDriver(spec, { modelsRoot });
  const malformed = new Map<number, unknown>([
    [3, { id: 'r3', user: 'u3' }],
    [11, { id: 'r11', user: 'u11', features: featuresFor(11).slice(0, 30) }],
    [20, { id: 'r20', user: 'u20', features: [...featuresFor(20).slice(0, 31), 'x'] }],
    [33, { id: 'r33', user: 'u33', features: 'not an array' }],
    [47, { id: 'r47', user: 'u47', features: featuresFor(47).map((value, index) => (index === 5 ? 1e40 : value)) }],
    [58, 'a string, not a record'],
    [99, { id: 'r99', user: 'u99', features: [] }],
  ]);
  const inputs = Array.from({ length: 100 }, (_, index) => ({
    key: `u${index % 9}`,
    value: malformed.get(index) ?? { id: `r${index}`, user: `u${index % 9}`, features: featuresFor(index) },
  }));
  try {
    await driver.pipe('requests', inputs);
    const predictions = await driver.read('predictions');
    const deadLetters = driver.readRaw('requests.dlq');
    assert.equal(predictions.length, 93);
    assert.equal(deadLetters.length, 7);

    const weights = readWeights('ctr-logreg');
    const version = `sha256:${createHash('sha256').update(readFileSync(`${modelsRoot}ctr-logreg.onnx`)).digest('hex').slice(0, 12)}`;
    for (const prediction of predictions) {
      const value = prediction.value as { id: string; user: string; probability: number; modelId: string; modelVersion: string; requestId: string };
      const index = Number(value.id.slice(1));
      assert.ok(Math.abs(value.probability - logistic(weights, featuresFor(index))) < 1e-5, `${value.id}: ${value.probability}`);
      assert.equal(value.modelId, 'ctr-logreg');
      assert.equal(value.modelVersion, version);
      assert.equal(value.requestId, value.id);
      assert.equal(prediction.headers['kascade.lineage.models'], `ctr-logreg@${version}`);
      assert.equal(prediction.headers['kascade.model.id'], undefined, 'who served it is in the prediction, not repeated in headers');
    }
    for (const dead of deadLetters) {
      assert.equal(dead.headers['kascade.error.code'], 'KASCADE_TENSOR_MAPPING_FAILED', dead.headers['kascade.error.message']);
      assert.match(dead.headers['kascade.error.message']!, /^model ctr-logreg: /);
    }
    assert.equal(driver.stats()['score']?.['models.loads'], 1);
  } finally {
    await driver.close();
  }
});

test('keyed models: the record key picks the model; an unknown key is dead-lettered unless a default model is set', async () => {
  const keyed = (defaultModel: string) =>
    parseTopology(
      `
name: keyed
topics:
  requests: { external: true }
stages:
  - name: score
    type: inference
    input: requests
    models:
      - { id: cohort-a, path: ctr-cohort-a.onnx, keys: [alice] }
      - { id: cohort-b, path: ctr-cohort-b.onnx, keys: [bob] }
${defaultModel}
    inputs:
      features: { field: features }
    outputs:
      probability: { output: probability }
    output: predictions
`,
      'keyed.yaml',
      { baseDir: modelsRoot },
    ).spec;
  const inputs = ['alice', 'bob', 'mallory'].map((key, index) => ({ key, value: { features: featuresFor(index) } }));

  const strict = new TopologyTestDriver(keyed(''), { modelsRoot });
  try {
    await strict.pipe('requests', inputs);
    const predictions = await strict.read('predictions');
    assert.deepEqual(predictions.map((record) => `${record.key} ${(record.value as { modelId: string }).modelId}`).sort(), ['alice cohort-a', 'bob cohort-b']);
    const [dead] = strict.readRaw('requests.dlq');
    assert.equal(dead?.key, 'mallory');
    assert.equal(dead.headers['kascade.error.code'], 'KASCADE_UNKNOWN_MODEL_KEY');
    assert.equal(dead.headers['kascade.error.message'], 'no model for record key "mallory" and no defaultModel');
  } finally {
    await strict.close();
  }

  const lenient = new TopologyTestDriver(keyed('    defaultModel: cohort-b'), { modelsRoot });
  try {
    await lenient.pipe('requests', inputs);
    const byKey = new Map((await lenient.read('predictions')).map((record) => [record.key, record.value as { modelId: string; probability: number }]));
    assert.equal(byKey.get('mallory')?.modelId, 'cohort-b');
    assert.ok(Math.abs(byKey.get('mallory')!.probability - logistic(readWeights('ctr-cohort-b'), featuresFor(2))) < 1e-5);
    assert.deepEqual(lenient.readRaw('requests.dlq'), []);
  } finally {
    await lenient.close();
  }
});
