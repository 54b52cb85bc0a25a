import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { topology } from '../../src/topology/builder.js';
import { describeTopology } from '../../src/topology/describe.js';
import { loadTopologyFile } from '../../src/topology/load.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/topologies/', import.meta.url));

test('describe shows topics and the stages of a 3-stage cascade, sources first', async () => {
  const { spec } = await loadTopologyFile('cascade.yaml', { cwd: FIXTURES });
  assert.equal(
    describeTopology(spec),
    [
      'topology ads-cascade',
      '  enrich requests, score them, label the scores',
      '',
      'topics (7):',
      '  ad-requests      json   6 partitions  external',
      '  ad-requests.dlq  json   1 partition   dead letters of enrich',
      '  enriched         json   1 partition',
      '  enriched.dlq     json   1 partition   dead letters of score',
      '  label.failures   json   1 partition   dead letters of label',
      '  labelled         json   3 partitions',
      '  scored           avro   6 partitions  schema schemas/scored.avsc',
      '',
      'stages (3, sources first):',
      '  ad-requests -> enrich (transform, group ads-cascade.enrich, at-least-once, dlq ad-requests.dlq) -> enriched',
      '  enriched -> score (transform, group ads-cascade.score, at-least-once, dlq enriched.dlq) -> scored',
      '  scored -> label (transform, group ads-cascade.label, exactly-once, dlq label.failures) -> labelled',
    ].join('\n'),
  );
});

test('stages are ordered by the graph, not by the file; several inputs, groups and error policies show', () => {
  const spec = topology('fan')
    .topic('a', { external: true })
    .topic('b', { external: true })
    .defaults({ onError: 'fail' })
    .stage({ name: 'last', type: 'transform', input: ['left', 'right'], function: 'f', output: 'out', group: 'custom-group' })
    .stage({ name: 'right', type: 'transform', input: 'b', function: 'f', output: 'right', onError: 'skip' })
    .stage({ name: 'left', type: 'transform', input: 'a', function: 'f', output: 'left' })
    .build();
  const stageLines = describeTopology(spec).split('\n').slice(-3);
  assert.deepEqual(stageLines, [
    '  b -> right (transform, group fan.right, at-least-once, on error skip) -> right',
    '  a -> left (transform, group fan.left, at-least-once, on error fail) -> left',
    '  left, right -> last (transform, group custom-group, at-least-once, on error fail) -> out',
  ]);
  assert.equal(describeTopology(spec), describeTopology(spec), 'deterministic');
});
