import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rerunTopology } from '../../src/topology/rerun.js';
import { Topology } from '../../src/topology/spec.js';

const spec = Topology.parse({
  name: 'shop',
  topics: { orders: { partitions: 6, external: true }, scored: { partitions: 6, format: 'avro', schema: 'scored.avsc' } },
  stages: [
    { name: 'score', type: 'transform', input: 'orders', function: 'score', output: 'scored' },
    { name: 'label', type: 'transform', input: 'scored', function: 'label', output: 'labelled' },
  ],
});

test('a re-run gets its own group and, with a suffix, its own output and dead-letter topics declared like the originals', () => {
  const rerun = rerunTopology(spec, { stage: 'score', group: 'exp-1', outputSuffix: '.exp' });
  assert.deepEqual(rerun.stages[0], { name: 'score', type: 'transform', input: 'orders', function: 'score', output: 'scored.exp', group: 'exp-1', deadLetterTopic: 'orders.dlq.exp' });
  assert.deepEqual(rerun.topics['scored.exp'], { partitions: 6, format: 'avro', schema: 'scored.avsc', external: false });
  assert.equal(rerun.stages[1], spec.stages[1], 'other stages untouched');
  assert.deepEqual(rerunTopology(spec, { stage: 'label', group: 'g' }).stages[1], { ...spec.stages[1], group: 'g' });
  assert.throws(() => rerunTopology(spec, { stage: 'nope', group: 'g' }), /no stage "nope" \(stages: score, label\)/);
  assert.throws(() => rerunTopology(spec, { stage: 'score', group: 'g', outputSuffix: '/x' }), /output suffix/);
});
