import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTopologyFile, parseTopology } from '../../src/topology/load.js';

const FILE = 'topologies/x.yaml';
const TOPOLOGIES = fileURLToPath(new URL('../../topologies/', import.meta.url));

/** One inference stage reading `requests` and writing `predictions`; the options replace their declarations and the stage's extra keys. */
function warnings(options: { requests?: string; predictions?: string; stage?: string; more?: string } = {}, env: Record<string, string> = {}): string[] {
  const text = `
name: x
topics:
  \${KASCADE_RUN:-run}.requests: ${options.requests ?? '{ format: avro, external: true }'}
  predictions: ${options.predictions ?? '{ format: avro }'}
  raw: { external: true }
stages:
  - name: score
    type: inference
    input: \${KASCADE_RUN:-run}.requests
    model: { id: m, path: m.onnx }
    inputs: { features: { field: features } }
    outputs: { probability: { output: probability } }
${options.stage ?? '    passthrough: [id, user.id]'}
    output: predictions
${options.more ?? ''}`;
  const loaded = parseTopology(text, FILE, { env, fileExists: () => true, readFile: () => '{"type":"record","name":"R","fields":[]}', baseDir: '/topologies' });
  return loaded.warnings.map((warning) => `${warning.path}: ${warning.message}`);
}

test('an Avro input without a schema file, copied into a generated prediction schema, is a warning naming stage, topic and subject, as the file spells them', () => {
  assert.deepEqual(warnings({}, { KASCADE_RUN: 'prod' }), [
    'stages[0].passthrough: stage "score" copies passthrough fields from input topic "${KASCADE_RUN:-run}.requests", which is Avro without a schema: file; ' +
      'their types will come from the schema registered under subject "${KASCADE_RUN:-run}.requests-value" when the stage starts, and the stage will not start while nothing is registered there. ' +
      'Declare topics["${KASCADE_RUN:-run}.requests"].schema (the producers\' .avsc file) to fix them in the topology instead',
  ]);
});

test('no warning when the passthrough types are settled or unused', () => {
  const cases: ReadonlyArray<readonly [string, Parameters<typeof warnings>[0]]> = [
    ['input with a schema file', { requests: '{ format: avro, external: true, schema: request.avsc }' }],
    ['JSON input', { requests: '{ external: true }' }],
    ['no passthrough fields', { stage: '    passthrough: []' }],
    ['JSON output', { predictions: '{ format: json }' }],
    ['output with its own schema file', { predictions: '{ format: avro, schema: prediction.avsc }' }],
    ['postprocess', { predictions: '{ format: avro, schema: prediction.avsc }', stage: '    passthrough: [id]\n    postprocess: [{ function: select, options: { fields: [id] } }]' }],
  ];
  for (const [what, options] of cases) assert.deepEqual(warnings(options), [], what);
});

test('no warning for an input whose schema a stage of the topology generates (a cascade of predictions)', () => {
  const upstream = `  - name: first
    type: inference
    input: raw
    model: { id: m, path: m.onnx }
    inputs: { features: { field: features } }
    outputs: { probability: { output: probability } }
    output: \${KASCADE_RUN:-run}.requests`;
  assert.deepEqual(warnings({ requests: '{ format: avro }', more: upstream }), []);
});

test('the example topologies have no warnings', async () => {
  for (const file of readdirSync(TOPOLOGIES).filter((name) => name.endsWith('.yaml'))) {
    const loaded = await loadTopologyFile(file, { cwd: TOPOLOGIES, env: {} });
    assert.deepEqual(loaded.warnings, [], file);
  }
});
