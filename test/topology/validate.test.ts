import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTopologyFile, parseTopology } from '../../src/topology/load.js';
import { Topology } from '../../src/topology/spec.js';
import { topologyProblems, validateTopology } from '../../src/topology/validate.js';
import { catchTopologyError, lines, rejectsWithTopologyError } from './topology-error-assert.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/topologies/', import.meta.url));
const FILE = 'topologies/x.yaml';

/** A topology whose stages are given as YAML flow mappings (one per line). */
function withStages(stages: string[], head: string[] = []): string {
  return ['name: t', ...head, 'stages:', ...stages.map((stage) => `  - ${stage}`), ''].join('\n');
}

function problems(text: string, options: Parameters<typeof parseTopology>[2] = {}): string[] {
  return lines(catchTopologyError(() => parseTopology(text, FILE, { baseDir: FIXTURES, ...options })));
}

test('duplicate stage names', () => {
  const text = withStages(
    [
      '{ name: x, type: transform, input: in, function: f, output: a }',
      '{ name: y, type: transform, input: a, function: f, output: b }',
      '{ name: z, type: transform, input: b, function: f, output: c }',
      '{ name: x, type: transform, input: c, function: f, output: d }',
    ],
    ['topics: { in: { external: true } }'],
  );
  assert.deepEqual(problems(text), ['topologies/x.yaml: stages[3].name: duplicate stage name "x" (also stages[0])']);
});

test('a topic read by a stage that no stage writes and that is not declared external', () => {
  const text = withStages(['{ name: a, type: transform, input: x, function: f, output: o }', '{ name: b, type: transform, input: [o, y], function: f, output: o2 }'], ['topics: { y: { partitions: 2 } }']);
  assert.deepEqual(problems(text), [
    'topologies/x.yaml: stages[0].input: topic "x" is read but no stage writes it; declare it under topics with external: true',
    'topologies/x.yaml: stages[1].input[1]: topic "y" is read but no stage writes it; declare it under topics with external: true',
  ]);
});

test('a cycle between stages through topics, unless allowCycles: true', () => {
  const stages = [
    '{ name: in, type: transform, input: src, function: f, output: a-in }',
    '{ name: a, type: transform, input: [a-in, b-out], function: f, output: a-out }',
    '{ name: b, type: transform, input: a-out, function: f, output: b-out }',
    '{ name: self, type: transform, input: [self-out, src], function: f, output: self-out }',
  ];
  const head = ['topics: { src: { external: true } }'];
  assert.deepEqual(problems(withStages(stages, head)), [
    'topologies/x.yaml: stages: cycle a -> b -> a (set allowCycles: true if it is intended)',
    'topologies/x.yaml: stages: cycle self -> self (set allowCycles: true if it is intended)',
  ]);
  assert.equal(parseTopology(withStages(stages, [...head, 'allowCycles: true']), FILE).spec.allowCycles, true);
});

test('an avro topic a stage writes must name its schema file', () => {
  const text = withStages(['{ name: a, type: transform, input: in, function: f, output: clicks }'], ['topics: { in: { external: true, format: avro }, clicks: { format: avro } }']);
  assert.deepEqual(problems(text), ['topologies/x.yaml: topics.clicks.schema: required: stage "a" writes this avro topic']);
});

test('a schema file must exist, be inside the topology folder, be JSON and be an Avro schema', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile('schema-files.yaml', { cwd: FIXTURES }));
  const found = lines(error);
  assert.deepEqual(found.slice(0, 4), [
    'schema-files.yaml: topics.missing.schema: file not found: schemas/missing.avsc',
    'schema-files.yaml: topics.escapes.schema: file is outside the topology\'s folder: ../layering/README.md',
    'schema-files.yaml: topics.absolute.schema: file is outside the topology\'s folder: /etc/passwd',
    'schema-files.yaml: topics.broken.schema: not a valid Avro schema: schemas/broken.avsc: undefined type name: strng',
  ]);
  // JSON.parse's own wording changes between Node versions.
  assert.match(found[4] ?? '', /^schema-files\.yaml: topics\.not-json\.schema: not valid JSON: schemas\/not-json\.avsc: \S/);
  assert.deepEqual(found.slice(5), ['schema-files.yaml: topics.no-schema.schema: required: stage "a" writes this avro topic']);
});

test('a ".." that leaves the topology folder is rejected even when the file exists', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile('nested/inside.yaml', { cwd: FIXTURES }));
  assert.deepEqual(lines(error), ['nested/inside.yaml: topics.out.schema: file is outside the topology\'s folder: ../schemas/scored.avsc']);
});

test('a symbolic link cannot lead a schema path out of the topology folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'kascade-topology-'));
  try {
    mkdirSync(join(root, 'topologies'));
    writeFileSync(join(root, 'outside.avsc'), '"string"');
    symlinkSync(join(root, 'outside.avsc'), join(root, 'topologies', 'link.avsc'));
    writeFileSync(join(root, 'topologies', 'ok.avsc'), '"string"');
    const text = withStages(['{ name: a, type: transform, input: in, function: f, output: o }'], ['topics:', '  in: { external: true, format: avro, schema: link.avsc }', '  o: { format: avro, schema: ok.avsc }']);
    assert.deepEqual(problems(text, { baseDir: join(root, 'topologies') }), [
      'topologies/x.yaml: topics.in.schema: file is outside the topology\'s folder (through a symbolic link): link.avsc',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a dead-letter topic may not be read or written by a stage (checked only where errors go to it)', () => {
  const text = withStages(
    [
      '{ name: a, type: transform, input: in, function: f, output: b-in }',
      '{ name: b, type: transform, input: b-in, function: f, output: out, deadLetterTopic: in }',
      '{ name: c, type: transform, input: in.dlq, function: f, output: out2, onError: fail }',
      '{ name: d, type: transform, input: other, function: f, output: out3, deadLetterTopic: b-in }',
      '{ name: e, type: transform, input: other, function: f, output: out4, onError: skip, deadLetterTopic: b-in }',
    ],
    ['topics: { in: { external: true }, other: { external: true } }'],
  );
  assert.deepEqual(problems(text), [
    'topologies/x.yaml: stages[0].deadLetterTopic: dead-letter topic "in.dlq" (the default) is also read by stage "c"',
    'topologies/x.yaml: stages[1].deadLetterTopic: dead-letter topic "in" is also read by stage "a"',
    'topologies/x.yaml: stages[2].input: topic "in.dlq" is read but no stage writes it; declare it under topics with external: true',
    'topologies/x.yaml: stages[3].deadLetterTopic: dead-letter topic "b-in" is also written by stage "a"',
    'topologies/x.yaml: stages[3].deadLetterTopic: dead-letter topic "b-in" is also read by stage "b"',
  ]);
});

test('a transform must be known when the runtime says which are', () => {
  const text = withStages(['{ name: a, type: transform, input: in, function: enrich, output: o }', '{ name: b, type: transform, input: o, function: scroe, output: o2 }'], ['topics: { in: { external: true } }']);
  assert.deepEqual(problems(text, { knownFunctions: ['score', 'enrich'] }), ['topologies/x.yaml: stages[1].function: unknown transform "scroe" (registered: enrich, score)']);
  assert.deepEqual(problems(text, { knownFunctions: (name) => name === 'enrich' }), ['topologies/x.yaml: stages[1].function: unknown transform "scroe"']);
  const registry = { has: (name: string) => name === 'enrich', names: () => ['enrich'] };
  assert.deepEqual(problems(text, { knownFunctions: registry }), ['topologies/x.yaml: stages[1].function: unknown transform "scroe" (registered: enrich)']);
  assert.deepEqual(problems(text, { knownFunctions: [] }), [
    'topologies/x.yaml: stages[0].function: unknown transform "enrich" (registered: none)',
    'topologies/x.yaml: stages[1].function: unknown transform "scroe" (registered: none)',
  ]);
  assert.doesNotThrow(() => parseTopology(text, FILE), 'without knownFunctions any name passes');
});

test('problems come in file order: topics, then stage by stage, then cycles', () => {
  const text = withStages(
    [
      '{ name: a, type: transform, input: [nobody, a-out], function: x, output: a-out }',
      '{ name: a, type: transform, input: in, function: f, output: clicks }',
    ],
    ['topics: { in: { external: true }, clicks: { format: avro } }'],
  );
  assert.deepEqual(problems(text, { knownFunctions: ['f'] }), [
    'topologies/x.yaml: topics.clicks.schema: required: stage "a" writes this avro topic',
    'topologies/x.yaml: stages[0].input[0]: topic "nobody" is read but no stage writes it; declare it under topics with external: true',
    'topologies/x.yaml: stages[0].function: unknown transform "x" (registered: f)',
    'topologies/x.yaml: stages[1].name: duplicate stage name "a" (also stages[0])',
    'topologies/x.yaml: stages: cycle a -> a (set allowCycles: true if it is intended)',
  ]);
});

test('validateTopology is pure: files come through fileExists/readFile, problems through one TopologyError', () => {
  const spec = Topology.parse({
    name: 't',
    topics: { in: { external: true }, out: { format: 'avro', schema: 'schemas/out.avsc' } },
    stages: [{ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'out' }],
  });
  const files = new Map([['/virtual/schemas/out.avsc', '{"type":"record","name":"Out","fields":[{"name":"id","type":"string"}]}']]);
  const io = { fileExists: (path: string) => files.has(path), readFile: (path: string) => files.get(path) ?? '' };
  assert.equal(validateTopology(spec, { file: '<test>', baseDir: '/virtual', ...io }), spec);
  assert.deepEqual(topologyProblems(spec, { file: '<test>', baseDir: '/elsewhere', ...io }), [{ path: 'topics.out.schema', message: 'file not found: schemas/out.avsc' }]);
  const error = catchTopologyError(() => validateTopology(spec, { file: '<test>', baseDir: '/virtual', knownFunctions: ['g'], ...io }));
  assert.equal(error.message, '<test>: stages[0].function: unknown transform "f" (registered: g)');
});
