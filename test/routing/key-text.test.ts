import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { colocatedPartition, topicPartitioner } from '../../src/routing/colocation.js';
import { keyTextOf, keyTextOfBytes } from '../../src/routing/key-text.js';
import { TopologyTestDriver } from '../../src/testing/index.js';
import { Topology } from '../../src/topology/spec.js';
import { validateTopology } from '../../src/topology/validate.js';
import { featuresFor } from '../helpers/ctr-model.js';

test('a key as an id: a decoded string or number as it is, anything else as the hex of its bytes', () => {
  assert.equal(keyTextOf('eu', Buffer.from('eu')), 'eu');
  assert.equal(keyTextOf(1000, Buffer.from([0, 0, 0, 0, 1, 0xd0, 0x0f])), '1000');
  assert.equal(keyTextOf(12n, Buffer.from('x')), '12');
  assert.equal(keyTextOf({ user: 'u1' }, Buffer.from([0xab, 0x01])), 'ab01');
  assert.equal(keyTextOf(undefined, Buffer.from([0xc3, 0x28])), 'c328');
  assert.equal(keyTextOf(null, null), undefined);
});

test('from bytes alone, a key reads as the stage with that key format reads it', () => {
  assert.equal(keyTextOfBytes(Buffer.from('a1'), undefined), 'a1');
  assert.equal(keyTextOfBytes(Buffer.from([0xc3, 0x28]), undefined), 'c328', 'not UTF-8: hex');
  assert.equal(keyTextOfBytes(Buffer.from('"a1"'), 'json'), 'a1');
  assert.equal(keyTextOfBytes(Buffer.from('42'), 'json'), '42');
  assert.equal(keyTextOfBytes(Buffer.from('{"a":1}'), 'json'), Buffer.from('{"a":1}').toString('hex'));
  assert.equal(keyTextOfBytes(Buffer.from('a1'), 'bytes'), Buffer.from('a1').toString('hex'));
});

const stage = {
  models: ['a', 'b', 'c', 'd'].map((cohort) => ({ id: `m-${cohort}`, path: `${cohort}.onnx`, keys: [`${cohort}1`, `${cohort}2`] })),
  defaultModel: undefined,
};

test('colocation reads a JSON key as the stage does: "a1" (with quotes on the wire) lands with a1', () => {
  assert.equal(colocatedPartition(Buffer.from('"a1"'), stage, 4, 'json'), colocatedPartition('a1', stage, 4));
  assert.equal(colocatedPartition(Buffer.from('"c2"'), stage, 4, 'json'), 2);
});

const modelsRoot = fileURLToPath(new URL('../../models/', import.meta.url));

test('a keyed stage serves a JSON-keyed record with the model whose partitions colocation put it on', async () => {
  const spec = Topology.parse({
    name: 'colocated',
    topics: { requests: { partitions: 4, external: true, colocateFor: 'cohorts', key: { format: 'json' } }, scores: { partitions: 1 } },
    stages: [
      {
        name: 'cohorts',
        type: 'inference',
        input: 'requests',
        models: ['a', 'b', 'c', 'd'].map((cohort) => ({ id: `ctr-cohort-${cohort}`, path: `ctr-cohort-${cohort}.onnx`, keys: [`${cohort}1`] })),
        inputs: { features: { field: 'features' } },
        outputs: { probability: { output: 'probability' } },
        passthrough: ['id'],
        output: 'scores',
      },
    ],
  });
  const driver = new TopologyTestDriver(spec, { modelsRoot });
  try {
    await driver.pipe(
      'requests',
      ['a', 'b', 'c', 'd'].map((cohort, index) => ({ key: JSON.stringify(`${cohort}1`), value: { id: cohort, features: featuresFor(index) } })),
    );
    const place = topicPartitioner(spec);
    for (const record of driver.readRaw('requests')) assert.equal(record.partition, place('requests', record.keyBytes ?? Buffer.alloc(0), 4));
    const scores = await driver.read('scores');
    const servedBy = Object.fromEntries(scores.map((score) => [(score.value as { id: string }).id, (score.value as { modelId: string }).modelId]));
    assert.deepEqual(servedBy, { a: 'ctr-cohort-a', b: 'ctr-cohort-b', c: 'ctr-cohort-c', d: 'ctr-cohort-d' });
    const partitionOf = Object.fromEntries(driver.readRaw('requests').map((record) => [JSON.parse(record.key ?? '""') as string, record.partition]));
    // Models sorted by id own partitions 0..3: each record sits on its model's partition.
    assert.deepEqual(partitionOf, { a1: 0, b1: 1, c1: 2, d1: 3 });
  } finally {
    await driver.close();
  }
});

test('colocateFor on a topic with Avro keys is refused with the path (colocation cannot decode them before the stage)', () => {
  const spec = Topology.parse({
    name: 'bad',
    topics: { requests: { partitions: 2, external: true, colocateFor: 'cohorts', key: { format: 'avro' } } },
    stages: [
      {
        name: 'cohorts',
        type: 'inference',
        input: 'requests',
        models: [{ id: 'm', path: 'ctr-cohort-a.onnx', keys: ['a'] }],
        inputs: { features: { field: 'features' } },
        outputs: { probability: { output: 'probability' } },
        output: 'scores',
      },
    ],
  });
  assert.throws(() => validateTopology(spec, { file: 'bad.yaml', baseDir: modelsRoot }), /bad.yaml: topics\.requests\.key\.format: colocateFor places records by their key/);
});
