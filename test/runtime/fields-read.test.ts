import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldsReadBy } from '../../src/runtime/fields-read.js';
import { parseTopology } from '../../src/topology/load.js';

function router(unit: string, extra = '', armTopic = ''): ReturnType<typeof parseTopology>['spec'] {
  return parseTopology(
    `
name: ab
topics:
  requests: { external: true, format: json }
${armTopic}
stages:
  - name: split
    type: router
    input: requests
    experiment: e
    unit: ${unit}
${extra}
    arms:
      - { name: a, weight: 1, output: arm-a }
      - { name: b, weight: 1, output: arm-b }
  - name: score
    type: transform
    input: arm-a
    function: select
    options: { fields: [user] }
    output: scored
`,
    'ab.yaml',
  ).spec;
}

test('a router that writes its input bytes unchanged reads only its unit field and its request id field', () => {
  const spec = router('{ field: user.id }', '    requestId: { field: rid }');
  const [split, score] = spec.stages;
  assert.deepEqual(fieldsReadBy(spec, split!), ['user', 'rid']);
  assert.equal(fieldsReadBy(spec, score!), undefined, 'other stages read whole values');
});

test('a router keyed by the record key, or writing an arm encoded unlike its input, decodes whole values', () => {
  const byKey = router('key');
  assert.equal(fieldsReadBy(byKey, byKey.stages[0]!), undefined);
  const otherFormat = router('{ field: user }', '', '  arm-b: { format: bytes }');
  assert.equal(fieldsReadBy(otherFormat, otherFormat.stages[0]!), undefined);
});
