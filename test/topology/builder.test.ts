import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { topology } from '../../src/topology/builder.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import { catchTopologyError, lines } from './topology-error-assert.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/topologies/', import.meta.url));

/** The builder twin of test/fixtures/topologies/cascade.yaml. */
const cascade = topology('ads-cascade')
  .description('enrich requests, score them, label the scores')
  .topic('ad-requests', { partitions: 6, external: true })
  .topic('scored', { partitions: 6, format: 'avro', schema: 'schemas/scored.avsc' })
  .topic('labelled', { partitions: 3 })
  .defaults({ delivery: 'at-least-once' })
  .stage({ name: 'enrich', type: 'transform', input: 'ad-requests', function: 'enrich', requestId: { field: 'id' }, output: 'enriched' })
  .stage({ name: 'score', type: 'transform', input: 'enriched', function: 'score', options: { weight: 0.5 }, output: 'scored' })
  .stage({ name: 'label', type: 'transform', input: 'scored', function: 'label', delivery: 'exactly-once', deadLetterTopic: 'label.failures', output: 'labelled' });

test('the builder produces exactly the spec the equivalent YAML loads to', async () => {
  const fromYaml = await loadTopologyFile('cascade.yaml', { cwd: FIXTURES });
  const built = cascade.build({ baseDir: FIXTURES });
  assert.deepEqual(built, fromYaml.spec);
  assert.deepEqual(JSON.stringify(built), JSON.stringify(fromYaml.spec), 'same key order too');
});

test('the builder is immutable: each call returns a new builder', () => {
  const base = topology('t').topic('in', { external: true });
  const one = base.stage({ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'o' });
  assert.equal(base.toInput().stages.length, 0);
  assert.equal(one.toInput().stages.length, 1);
});

test('build() runs the same shape and graph rules and throws with file <builder>', () => {
  const shape = catchTopologyError(() =>
    topology('bad name')
      .topic('in', { partitions: 0 })
      .topic('in', {})
      .stage({ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'bad topic' })
      .build(),
  );
  assert.equal(shape.file, '<builder>');
  assert.deepEqual(lines(shape), [
    '<builder>: topics.in: topic declared twice',
    '<builder>: name: must start with a letter or digit and hold only letters, digits, ".", "_", "-"',
    '<builder>: stages[0].output: is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
  ]);

  const graph = catchTopologyError(() =>
    topology('t')
      .stage({ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'mid' })
      .stage({ name: 'b', type: 'transform', input: 'mid', function: 'g', output: 'in' })
      .build({ knownFunctions: ['f'] }),
  );
  assert.deepEqual(lines(graph), [
    '<builder>: stages[1].function: unknown transform "g" (registered: f)',
    '<builder>: stages: cycle a -> b -> a (set allowCycles: true if it is intended)',
  ]);
  assert.doesNotThrow(() =>
    topology('t')
      .allowCycles()
      .stage({ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'mid' })
      .stage({ name: 'b', type: 'transform', input: 'mid', function: 'g', output: 'in' })
      .build(),
  );
});

test('schema files resolve against baseDir (default: the working directory)', () => {
  const error = catchTopologyError(() => cascade.build({ baseDir: '/nonexistent-kascade-dir' }));
  assert.deepEqual(lines(error), ['<builder>: topics.scored.schema: file not found: schemas/scored.avsc']);
});

test('a stage of an unknown type is reported like in YAML', () => {
  // A cast stands for a caller without types (plain JS): the runtime check is the same.
  const stage = { name: 'a', type: 'teleport', input: 'in', output: 'o' } as unknown as Parameters<ReturnType<typeof topology>['stage']>[0];
  const error = catchTopologyError(() => topology('t').stage(stage).build());
  assert.deepEqual(lines(error), ['<builder>: stages[0].type: unknown stage type "teleport" (expected one of: transform, inference, router)']);
});
