import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTopologyFile, parseTopology } from '../../src/topology/load.js';
import { TopologyError } from '../../src/topology/topology-error.js';
import { stageOutputs } from '../../src/topology/spec.js';
import { catchTopologyError, lines, rejectsWithTopologyError } from './topology-error-assert.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/topologies/', import.meta.url));
const FILE = 'topologies/x.yaml';

test('a valid topology loads with defaults applied; baseDir is the file folder', async () => {
  const loaded = await loadTopologyFile('cascade.yaml', { cwd: FIXTURES, knownFunctions: ['enrich', 'score', 'label'] });
  assert.equal(loaded.file, 'cascade.yaml');
  assert.equal(loaded.baseDir, FIXTURES.replace(/\/$/, ''));
  assert.equal(loaded.spec.name, 'ads-cascade');
  assert.deepEqual(loaded.spec.defaults, { delivery: 'at-least-once', onError: 'dlq' });
  assert.deepEqual(loaded.spec.topics['scored'], { partitions: 6, format: 'avro', schema: 'schemas/scored.avsc', external: false });
  assert.deepEqual(loaded.spec.topics['labelled'], { partitions: 3, format: 'json', external: false });
  assert.equal(loaded.spec.allowCycles, false);
  assert.deepEqual(
    loaded.spec.stages.map((stage) => [stage.name, stage.input, stageOutputs(stage)[0]]),
    [
      ['enrich', 'ad-requests', 'enriched'],
      ['score', 'enriched', 'scored'],
      ['label', 'scored', 'labelled'],
    ],
  );
});

test('the file is named relative to cwd in messages', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile(join('test', 'fixtures', 'topologies', 'broken-shape.yaml'), { cwd: join(FIXTURES, '..', '..', '..') }));
  assert.equal(error.file, 'test/fixtures/topologies/broken-shape.yaml');
  assert.ok(lines(error).every((line) => line.startsWith('test/fixtures/topologies/broken-shape.yaml: ')));
});

test('a missing file is a TopologyError naming it', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile('nope.yaml', { cwd: FIXTURES }));
  assert.equal(error.message, 'nope.yaml: file not found');
});

test('a YAML syntax error reports file:line:col', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile('syntax-error.yaml', { cwd: FIXTURES }));
  assert.deepEqual(lines(error), ['syntax-error.yaml:6:5: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  assert.deepEqual(error.problems, [{ path: '', message: 'Flow sequence in block collection must be sufficiently indented and end with a ]', line: 6, column: 5 }]);
});

test('duplicate keys and a second document are syntax errors', () => {
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('name: a\nname: b\n', FILE))), ['topologies/x.yaml:2:1: Map keys must be unique']);
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('name: a\n---\nname: b\n', FILE))), [
    'topologies/x.yaml:2:1: a topology file holds one YAML document (found a second "---")',
  ]);
});

test('every shape problem is reported: unknown stage type, unknown keys, required fields, invalid names', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile('broken-shape.yaml', { cwd: FIXTURES }));
  assert.deepEqual(lines(error), [
    'broken-shape.yaml: name: must start with a letter or digit and hold only letters, digits, ".", "_", "-"',
    'broken-shape.yaml: stages[0].type: unknown stage type "infer" (expected one of: transform, inference, router)',
    'broken-shape.yaml: stages[1].input: required',
    'broken-shape.yaml: stages[1].function: required',
    'broken-shape.yaml: stages[1]: unknown key "fucntion" (did you mean "function"?)',
    'broken-shape.yaml: stages[1]: unknown key "colour"',
  ]);
  assert.deepEqual(error.problems[1], { path: 'stages[0].type', message: 'unknown stage type "infer" (expected one of: transform, inference, router)' });
});

test('unknown keys at the top, in topics and in defaults', () => {
  const text = ['name: t', 'stage: []', 'topics:', '  in: { external: true, partitons: 3 }', 'defaults: { onErorr: fail }', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: o }', ''].join('\n');
  assert.deepEqual(lines(catchTopologyError(() => parseTopology(text, FILE))), [
    'topologies/x.yaml: topics.in: unknown key "partitons" (did you mean "partitions"?)',
    'topologies/x.yaml: defaults: unknown key "onErorr" (did you mean "onError"?)',
    'topologies/x.yaml: unknown key "stage" (did you mean "stages"?)',
  ]);
});

test('type and value problems say what was expected and what kind of value was found, never the value', () => {
  const text = [
    'name: t',
    'topics:',
    '  "bad topic": {}',
    '  in: { external: true, partitions: 1.5, format: protobuf }',
    'stages:',
    '  - { name: a, type: transform, input: 5, function: f, output: o, group: "", requestId: { bogus: 1 } }',
    '  - { name: b, type: transform, input: [in, "x y"], function: f, output: o2, options: [1] }',
    '  - { name: c, input: in }',
    '  - 7',
    '',
  ].join('\n');
  assert.deepEqual(lines(catchTopologyError(() => parseTopology(text, FILE))), [
    'topologies/x.yaml: topics["bad topic"]: key is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
    'topologies/x.yaml: topics.in.partitions: expected an integer, got a number',
    'topologies/x.yaml: topics.in.format: expected one of: avro, json, bytes',
    'topologies/x.yaml: stages[0].input: expected a string or a list, got a number',
    'topologies/x.yaml: stages[0].group: must not be empty',
    'topologies/x.yaml: stages[0].requestId: expected one of: { field }, { header }',
    'topologies/x.yaml: stages[1].input[1]: is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
    'topologies/x.yaml: stages[1].options: expected a mapping, got a list',
    'topologies/x.yaml: stages[2].type: required (one of: transform, inference, router)',
    'topologies/x.yaml: stages[3]: expected a mapping, got a number',
  ]);
});

test('an empty file, an empty stage list and a non-mapping document', () => {
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('', FILE))), ['topologies/x.yaml: expected a mapping, got an empty value']);
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('- a\n', FILE))), ['topologies/x.yaml: expected a mapping, got a list']);
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('name: t\nstages: []\n', FILE))), ['topologies/x.yaml: stages: must not be empty']);
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('name: t\nstages:\n', FILE))), ['topologies/x.yaml: stages: expected a list, got an empty value']);
});

test('topologies are data: tags, merge keys and __proto__ keys are not interpreted', () => {
  assert.deepEqual(lines(catchTopologyError(() => parseTopology('name: !!js/function "() => 1"\nstages: []\n', FILE))), [
    'topologies/x.yaml:1:7: Unresolved tag: tag:yaml.org,2002:js/function',
  ]);
  const merge = ['base: &base { type: transform }', 'name: t', 'stages:', '  - { <<: *base, name: a, input: in, function: f, output: o }', ''].join('\n');
  assert.deepEqual(lines(catchTopologyError(() => parseTopology(merge, FILE))), [
    'topologies/x.yaml: stages[0].type: required (one of: transform, inference, router)',
    'topologies/x.yaml: unknown key "base"',
  ]);
  const proto = ['name: t', '__proto__: { polluted: true }', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: o }', ''].join('\n');
  assert.deepEqual(lines(catchTopologyError(() => parseTopology(proto, FILE))), ['topologies/x.yaml: unknown key "__proto__"']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('aliases are expanded, but not without bound', () => {
  const ok = ['name: t', 'topics:', '  in: &topic { external: true, partitions: 2 }', '  other: *topic', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: o }', ''].join('\n');
  assert.deepEqual(parseTopology(ok, FILE).spec.topics['other'], { partitions: 2, format: 'json', external: true });
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
  assert.deepEqual(lines(catchTopologyError(() => parseTopology(bomb, FILE))), [
    'topologies/x.yaml: c[8][1]: too many alias expansions (at most 100)',
    'topologies/x.yaml: name: required',
    'topologies/x.yaml: stages: required',
    'topologies/x.yaml: unknown key "a"',
    'topologies/x.yaml: unknown key "b"',
    'topologies/x.yaml: unknown key "c"',
    'topologies/x.yaml: unknown key "d"',
  ]);
});

test('a TopologyError is a KascadeError with every problem', () => {
  const error = catchTopologyError(() => parseTopology('name: t\nstages: []\nextra: 1\n', FILE));
  assert.ok(error instanceof TopologyError);
  assert.equal(error.file, FILE);
  assert.deepEqual(error.problems, [
    { path: 'stages', message: 'must not be empty' },
    { path: '', message: 'unknown key "extra"' },
  ]);
});
