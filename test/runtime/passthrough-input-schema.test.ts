import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import type { ModelRunner } from '../../src/inference/model-runner.js';
import { passthroughInputSchema } from '../../src/runtime/passthrough-input-schema.js';
import { onnxRunner } from '../../src/runtime/stage-handlers.js';
import { encodeConfluentFrame } from '../../src/serde/confluent-wire-format.js';
import type { SchemaRegistryClient } from '../../src/serde/serde.js';
import { createTopicSerdes } from '../../src/serde/serde-factory.js';
import { jsonLogger } from '../../src/telemetry/logger.js';
import { InMemorySchemaRegistry } from '../../src/testing/in-memory-schema-registry.js';
import { TopologyTestDriver } from '../../src/testing/topology-test-driver.js';
import { parseTopology } from '../../src/topology/load.js';
import type { InferenceStageSpec, TopologySpec } from '../../src/topology/spec.js';
import { featuresFor } from '../helpers/ctr-model.js';

const modelsRoot = fileURLToPath(new URL('../../models/', import.meta.url));

const USER = {
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'string' } } },
  ],
} satisfies avro.schema.RecordType;

const REQUEST = {
  type: 'record',
  name: 'Request',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'features', type: { type: 'array', items: 'float' } },
    { name: 'count', type: 'int' },
    { name: 'sentAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'user', type: USER },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
} satisfies avro.schema.AvroSchema;

/** A topology of one inference stage; the options replace its topics' declarations and its passthrough fields. */
function topology(options: { requests?: string; predictions?: string; passthrough?: string } = {}): TopologySpec {
  return parseTopology(
    `
name: passthrough
topics:
  requests: ${options.requests ?? '{ format: avro, external: true }'}
  predictions: ${options.predictions ?? '{ format: avro }'}
stages:
  - name: score
    type: inference
    input: requests
    model: { id: ctr-logreg, path: ctr-logreg.onnx }
    requestId: { field: id }
    inputs: { features: { field: features } }
    outputs: { probability: { output: probability } }
    passthrough: ${options.passthrough ?? '[id, count, sentAt, price, user, user.id, note]'}
    reload: { watch: false }
    output: predictions
`,
    'passthrough.yaml',
    // request.avsc, where a test declares it, is REQUEST.
    { baseDir: modelsRoot, fileExists: () => true, readFile: () => JSON.stringify(REQUEST) },
  ).spec;
}

function inferenceStage(spec: TopologySpec): InferenceStageSpec {
  const stage = spec.stages[0];
  assert.ok(stage?.type === 'inference');
  return stage;
}

/** The in-memory registry, counting subject lookups. */
class CountingRegistry extends InMemorySchemaRegistry implements SchemaRegistryClient {
  subjectLookups = 0;

  override latestVersion(subject: string): ReturnType<InMemorySchemaRegistry['latestVersion']> {
    this.subjectLookups++;
    return super.latestVersion(subject);
  }
}

function capture(): { logger: ReturnType<typeof jsonLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: jsonLogger('info', {}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
}

test('an Avro input without a schema file: predictions carry the types registered under <input>-value, and every record is written', async () => {
  const registry = new InMemorySchemaRegistry();
  const id = await registry.register('requests-value', JSON.stringify(REQUEST));
  const type = avro.Type.forSchema(REQUEST);
  const requests = Array.from({ length: 6 }, (_, index) => ({
    id: `r${index}`,
    features: featuresFor(index),
    count: index + 11,
    sentAt: 1_700_000_000_000 + index,
    price: Buffer.from([0x01, index]),
    user: { id: `u${index}`, tags: { seen: [`ad-${index}`], liked: [] } },
    note: index % 2 === 0 ? null : `note ${index}`,
  }));
  const driver = new TopologyTestDriver(topology(), { registry, modelsRoot });
  try {
    await driver.pipeRaw('requests', requests.map((value) => ({ key: value.id, value: encodeConfluentFrame(id, type.toBuffer(value)) })));
    assert.deepEqual(driver.readRaw('requests.dlq').map((record) => record.headers['kascade.error.message']), []);
    const predictions = (await driver.read('predictions')).map((record) => record.value as Record<string, unknown>);
    assert.deepEqual(
      predictions.map(({ id: requestId, count, sentAt, price, user, user_id, note }) => ({ id: requestId, count, sentAt, price, user, user_id, note })),
      requests.map(({ id: requestId, count, sentAt, price, user, note }) => ({ id: requestId, count, sentAt, price, user, user_id: user.id, note })),
    );
    const latest = await registry.latestVersion('predictions-value');
    const fields = (JSON.parse(latest!.schema) as avro.schema.RecordType).fields;
    const typeOf = (name: string): unknown => fields.find((field) => field.name === name)?.type;
    assert.equal(typeOf('count'), 'int');
    assert.deepEqual(typeOf('sentAt'), { type: 'long', logicalType: 'timestamp-millis' });
    assert.deepEqual(typeOf('price'), { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 });
    assert.deepEqual(typeOf('user'), { type: 'record', name: 'dev.kascade.test.User', fields: USER.fields });
    assert.equal(typeOf('user_id'), 'string');
    assert.deepEqual(typeOf('note'), ['null', 'string']);
  } finally {
    await driver.close();
  }
});

test('an Avro input without a schema file and nothing registered: the stage does not start, no model runner is made, and the message says how to fix it', async () => {
  let runners = 0;
  const createModelRunner = (stage: InferenceStageSpec): ModelRunner => {
    runners++;
    return onnxRunner(stage);
  };
  const driver = new TopologyTestDriver(topology(), { modelsRoot, plugins: { createModelRunner } });
  try {
    await assert.rejects(driver.pipe('requests', []), (error: unknown) => {
      assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), String(error));
      assert.equal(
        error.message,
        'stage score: its predictions copy id, count, sentAt, price, user, user.id, note from input topic "requests" with their Avro types, ' +
          'but that topic\'s schema is unknown: the topology declares no schema: file for it and nothing is registered under subject "requests-value" yet. ' +
          'Declare topics.requests.schema (the producers\' .avsc file), or register the producers\' schema under "requests-value", then start the stage again',
      );
      return true;
    });
    assert.equal(runners, 0);
  } finally {
    await driver.close();
  }
});

test('the registry is asked only when the generated prediction schema is written; otherwise the declared schema (or none) serves, as before', async () => {
  const cases: ReadonlyArray<readonly [string, TopologySpec]> = [
    ['JSON input', topology({ requests: '{ external: true }' })],
    ['JSON output', topology({ predictions: '{ format: json }' })],
    ['output with its own schema file', topology({ predictions: '{ format: avro, schema: request.avsc }' })],
  ];
  for (const [what, spec] of cases) {
    const registry = new CountingRegistry();
    const serdes = createTopicSerdes(spec, { registry, baseDir: modelsRoot, readFile: () => Promise.reject(new Error('no schema file is read')) });
    assert.equal(await passthroughInputSchema(inferenceStage(spec), serdes, capture().logger), undefined, what);
    assert.equal(registry.subjectLookups, 0, what);
  }
  // Validation refuses postprocess into a generated schema; a stage spec made in code is not refused.
  const spec = topology();
  const stages: ReadonlyArray<readonly [string, InferenceStageSpec]> = [
    ['no passthrough fields', { ...inferenceStage(spec), passthrough: [] }],
    ['postprocess steps', { ...inferenceStage(spec), postprocess: [{ function: 'select', options: { fields: ['id'] } }] }],
  ];
  for (const [what, stage] of stages) {
    const registry = new CountingRegistry();
    assert.equal(await passthroughInputSchema(stage, createTopicSerdes(spec, { registry, baseDir: modelsRoot }), capture().logger), undefined, what);
    assert.equal(registry.subjectLookups, 0, what);
  }
});

test('a schema file on the input wins over the registry; a registry schema is logged with its subject and version', async () => {
  const declared = topology({ requests: '{ format: avro, external: true, schema: request.avsc }' });
  const registry = new CountingRegistry();
  await registry.register('requests-value', JSON.stringify({ type: 'record', name: 'Other', fields: [] }));
  const serdes = createTopicSerdes(declared, { registry, baseDir: modelsRoot, readFile: () => Promise.resolve(JSON.stringify(REQUEST)) });
  assert.deepEqual(await passthroughInputSchema(inferenceStage(declared), serdes, capture().logger), REQUEST);
  assert.equal(registry.subjectLookups, 0);

  const spec = topology();
  await registry.register('requests-value', JSON.stringify(REQUEST));
  const { logger, lines } = capture();
  assert.deepEqual(await passthroughInputSchema(inferenceStage(spec), createTopicSerdes(spec, { registry, baseDir: modelsRoot }), logger), REQUEST);
  assert.deepEqual(
    lines.map(({ level, msg, stage, topic, subject, version }) => ({ level, msg, stage, topic, subject, version })),
    [{ level: 'info', msg: 'passthrough field types from the schema registry', stage: 'score', topic: 'requests', subject: 'requests-value', version: 2 }],
  );
});

test('an input written by a stage of the topology running elsewhere: the stage waits, saying so, until that stage registers its schema, then starts with it', async () => {
  const spec = topology();
  const registry = new CountingRegistry();
  const serdes = createTopicSerdes(spec, { registry, baseDir: modelsRoot });
  const { logger, lines } = capture();
  const waiting = passthroughInputSchema(inferenceStage(spec), serdes, logger, { writerOf: (topic) => (topic === 'requests' ? 'first-model' : undefined) });
  // Registered by "first-model" once the stage asked at least twice (it was started first).
  while (registry.subjectLookups < 2) await new Promise((resolve) => setImmediate(resolve));
  await registry.register('requests-value', JSON.stringify(REQUEST));
  assert.deepEqual(await waiting, REQUEST);
  assert.deepEqual(
    lines.map(({ msg, stage, topic, writtenBy }) => ({ msg, stage, topic, writtenBy })).slice(0, 1),
    [{ msg: 'waiting for the upstream stage to register its output schema (it does when it starts)', stage: 'score', topic: 'requests', writtenBy: 'first-model' }],
  );
});

test('waiting for an upstream schema ends when the stage stops: it reports the schema unknown', async () => {
  const spec = topology();
  const serdes = createTopicSerdes(spec, { registry: new InMemorySchemaRegistry(), baseDir: modelsRoot });
  const stopping = new AbortController();
  const waiting = passthroughInputSchema(inferenceStage(spec), serdes, capture().logger, { writerOf: () => 'first-model', signal: stopping.signal });
  stopping.abort();
  await assert.rejects(waiting, (error: unknown) => isKascadeError(error) && error.code === ErrorCode.ConfigInvalid);
});

test('a passthrough field the input schema lacks is logged as a warning at start (it is null in every prediction)', async () => {
  const registry = new InMemorySchemaRegistry();
  await registry.register('requests-value', JSON.stringify(REQUEST));
  const { logger, lines } = capture();
  const driver = new TopologyTestDriver(topology({ passthrough: '[id, campaign, user.age]' }), { registry, modelsRoot, logger });
  try {
    await driver.pipe('requests', []);
    assert.deepEqual(
      lines.filter((line) => line.level === 'warn').map(({ msg, stage, fields }) => ({ msg, stage, fields })),
      [{ msg: 'passthrough fields are not in the input schema: their type is a nullable scalar', stage: 'score', fields: 'campaign,user.age' }],
    );
  } finally {
    await driver.close();
  }
});
