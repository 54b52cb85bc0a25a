import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topology } from '../../src/topology/builder.js';
import { topologyTopics } from '../../src/topology/topics.js';

const spec = topology('t')
  .topic('in', { partitions: 4, external: true, replicationFactor: 3 })
  .stage({ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'mid' })
  .stage({ name: 'b', type: 'transform', input: 'mid', function: 'f', output: 'out', onError: 'fail' })
  .build();

test('topologyTopics lists what the stages read, write and dead-letter into, with declared partitions', () => {
  assert.deepEqual(topologyTopics(spec), [
    { topic: 'in', partitions: 4, replicationFactor: 3, roles: ['input'] },
    { topic: 'mid', partitions: 1, replicationFactor: undefined, roles: ['output', 'input'] },
    { topic: 'in.dlq', partitions: 1, replicationFactor: undefined, roles: ['dead-letter'] },
    { topic: 'out', partitions: 1, replicationFactor: undefined, roles: ['output'] },
  ]);
});

test('topologyTopics for some stages lists only their topics', () => {
  const b = spec.stages.filter((stage) => stage.name === 'b');
  assert.deepEqual(
    topologyTopics(spec, b).map((topic) => topic.topic),
    ['mid', 'out'],
  );
});
