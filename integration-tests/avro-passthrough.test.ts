import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import avro from 'avsc';
import { ErrorCode, isKascadeError } from '../src/errors.js';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { runTopology, type RunningTopology } from '../src/kafka/topology-runner.js';
import { toPlainValue } from '../src/serde/avro-type.js';
import { encodeConfluentFrame } from '../src/serde/confluent-wire-format.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createSchemaRegistry } from '../src/serde/schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile, type LoadedTopology } from '../src/topology/load.js';
import { topologyTopics } from '../src/topology/topics.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { featuresFor } from '../test/helpers/ctr-model.js';
import { connection, testKafka, uniqueName, testAccess } from './helpers/kafka.js';
import { decodeAvro, readAll } from './helpers/read-topic.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * An inference stage whose Avro input topic declares no `schema:` file: the pass-through fields
 * of its predictions keep the exact types of the schema the producers registered under
 * `<input>-value` (issue 19, item 4). Without it they were `["null","string","double","boolean"]`:
 * an int came out as a double, and every record with a decimal, array, map or record field was
 * dead-lettered.
 */

const kafka = testKafka('avro-passthrough');
const FIXTURE = 'integration-tests/fixtures/avro-passthrough.yaml';

const TIER = { type: 'enum', name: 'Tier', symbols: ['FREE', 'GOLD'] };
const REQUEST_SCHEMA = {
  type: 'record',
  name: 'AdRequest',
  namespace: 'dev.kascade.it',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'features', type: { type: 'array', items: 'float' } },
    { name: 'count', type: 'int' },
    { name: 'sentAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'token', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attributes', type: { type: 'map', values: 'long' } },
    {
      name: 'user',
      type: {
        type: 'record',
        name: 'User',
        fields: [
          { name: 'id', type: 'string' },
          { name: 'tier', type: TIER },
          { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
        ],
      },
    },
    { name: 'previousTier', type: ['null', 'Tier'], default: null },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const requestType = avro.Type.forSchema(REQUEST_SCHEMA as avro.schema.AvroSchema);

/** The pass-through fields of the fixture, as the prediction names them. */
const PASSTHROUGH = ['id', 'count', 'sentAt', 'price', 'day', 'token', 'tags', 'attributes', 'user', 'user_id', 'user_tier', 'previousTier', 'note'];

function request(index: number): Record<string, unknown> {
  const price = Buffer.alloc(4);
  price.writeInt32BE(1999 + index * 250 - 3000); // unscaled, two's complement: 19.99 - 30.00 + 2.50 * index
  return {
    id: `r-${index}`,
    features: featuresFor(index),
    count: index * 7 + 4,
    sentAt: 1_700_000_000_000 + index * 1_000,
    price,
    day: 19_700 + index,
    token: randomUUID(),
    tags: Array.from({ length: index % 4 }, (_, tag) => `tag-${tag}`),
    attributes: { views: index * 10, clicks: index % 3 },
    user: { id: `u-${index}`, tier: index % 2 === 0 ? 'FREE' : 'GOLD', hash: Buffer.from([index, 0xca, 0xfe, 0xff]) },
    previousTier: index % 3 === 0 ? null : 'GOLD',
    note: index % 2 === 0 ? null : `note ${index}`,
  };
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * A schema with every named type written by its full name and no `namespace` key, the same
 * schema in one spelling: a registry may store it otherwise (Apicurio splits `name` and
 * `namespace`) without changing what it means.
 */
function fullNames(schema: unknown, namespace: string): unknown {
  const qualify = (name: string, enclosing: string): string => (name.includes('.') || enclosing === '' ? name : `${enclosing}.${name}`);
  if (typeof schema === 'string') return PRIMITIVES.has(schema) ? schema : qualify(schema, namespace);
  if (Array.isArray(schema)) return schema.map((branch) => fullNames(branch, namespace));
  if (typeof schema !== 'object' || schema === null) return schema;
  const { namespace: own, ...rest } = schema as Record<string, unknown>;
  if (typeof rest.name !== 'string') return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, key === 'type' || key === 'items' || key === 'values' ? fullNames(value, namespace) : value]));
  const name = qualify(rest.name, typeof own === 'string' ? own : namespace);
  const inner = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
  const fields = Array.isArray(rest.fields) ? (rest.fields as Record<string, unknown>[]).map((field) => ({ ...field, type: fullNames(field.type, inner) })) : undefined;
  return { ...rest, name, ...(fields === undefined ? {} : { fields }) };
}

/** The fixture with this run's topics, created (as `kascade topics` would). */
async function load(run: string): Promise<LoadedTopology> {
  const loaded = await loadTopologyFile(FIXTURE, { env: { ...process.env, KASCADE_RUN: run } });
  await ensureTopics(testAccess, topologyTopics(loaded.spec));
  return loaded;
}

/** Runs the fixture's stage in this process, as `kascade run` would. */
function start(loaded: LoadedTopology, logs: string[]): Promise<RunningTopology> {
  return runTopology({
    spec: loaded.spec,
    connection,
    serdes: createTopicSerdes(loaded.spec, { registry: createHttpSchemaRegistryClient(connection), baseDir: loaded.baseDir }),
    plugins: { transforms: new TransformRegistry() },
    logger: jsonLogger('info', {}, (line) => logs.push(line)),
    modelsRoot: loaded.modelsRoot,
  });
}

test('without a schema: file, pass-through fields keep the exact Avro types registered under <input>-value; no record is dead-lettered', async () => {
  const run = uniqueName('avro-passthrough');
  const input = `${run}.requests`;
  const output = `${run}.predictions`;
  const loaded = await load(run);
  const registry = createHttpSchemaRegistryClient(connection);
  const schemaId = await registry.register(`${input}-value`, JSON.stringify(REQUEST_SCHEMA));
  const requests = Array.from({ length: 12 }, (_, index) => request(index));
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({
    topic: input,
    messages: requests.map((value) => ({ key: String(value.id), value: encodeConfluentFrame(schemaId, requestType.toBuffer(value)) })),
  });
  await producer.disconnect();

  const running = await start(loaded, []);
  try {
    await waitFor(() => Number(running.stats()['score']?.['consumed']) >= requests.length, { what: 'the stage to consume every request' });
    const [outputs, deadLetters] = await Promise.all([readAll(kafka, output), readAll(kafka, `${input}.dlq`)]);
    assert.deepEqual(
      deadLetters.map((record) => `${record.headers['kascade.error.code']}: ${record.headers['kascade.error.message']}`),
      [],
      'no record is dead-lettered',
    );
    assert.equal(outputs.length, requests.length);

    // The prediction schema registered for the output topic carries the input's types, logical types and named types included.
    const outputId = await createSchemaRegistry(connection).getLatestSchemaId(`${output}-value`);
    const outputSchema = JSON.parse(await registry.schemaById(outputId)) as avro.schema.RecordType;
    const typeOf = (field: string): unknown => fullNames(outputSchema.fields.find((candidate) => candidate.name === field)?.type, '');
    const tier = { type: 'enum', name: 'dev.kascade.it.Tier', symbols: ['FREE', 'GOLD'] };
    assert.deepEqual(Object.fromEntries(PASSTHROUGH.map((field) => [field, typeOf(field)])), {
      id: 'string',
      count: 'int',
      sentAt: { type: 'long', logicalType: 'timestamp-millis' },
      price: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 },
      day: { type: 'int', logicalType: 'date' },
      token: { type: 'string', logicalType: 'uuid' },
      tags: { type: 'array', items: 'string' },
      attributes: { type: 'map', values: 'long' },
      user: {
        type: 'record',
        name: 'dev.kascade.it.User',
        fields: [
          { name: 'id', type: 'string' },
          { name: 'tier', type: tier },
          { name: 'hash', type: { type: 'fixed', name: 'dev.kascade.it.Hash', size: 4 } },
        ],
      },
      user_id: 'string',
      user_tier: 'dev.kascade.it.Tier',
      previousTier: ['null', 'dev.kascade.it.Tier'],
      note: ['null', 'string'],
    });

    // Every prediction is written with that schema and decodes (by its schema id, independently of kascade) to the input's values.
    assert.deepEqual(new Set(outputs.map((record) => record.value?.readInt32BE(1))), new Set([outputId]));
    const predictions = (await decodeAvro<unknown>(outputs)).map((value) => toPlainValue(value) as Record<string, unknown>);
    const byId = new Map(requests.map((value) => [value.id, value]));
    for (const prediction of predictions) {
      const sent = byId.get(prediction.id);
      assert.ok(sent !== undefined, `unexpected prediction ${String(prediction.id)}`);
      const user = sent.user as Record<string, unknown>;
      const expected = { ...sent, user_id: user.id, user_tier: user.tier };
      assert.deepEqual(Object.fromEntries(PASSTHROUGH.map((field) => [field, prediction[field]])), Object.fromEntries(PASSTHROUGH.map((field) => [field, expected[field as keyof typeof expected]])));
      assert.equal(typeof prediction.probability, 'number');
    }
    assert.equal(new Set(predictions.map((prediction) => prediction.id)).size, requests.length);
  } finally {
    await running.stop();
  }
});

test('without a schema: file and with nothing registered under <input>-value, the stage does not start and says how to fix it', async () => {
  const run = uniqueName('avro-passthrough-unknown');
  const input = `${run}.requests`;
  const logs: string[] = [];
  const outcome = await start(await load(run), logs).then(
    (running) => ({ running }),
    (error: unknown) => ({ error }),
  );
  if ('running' in outcome) {
    await outcome.running.stop();
    assert.fail('expected the start to fail, but the stage runs');
  }
  const started = outcome.error;
  assert.ok(isKascadeError(started, ErrorCode.ConfigInvalid), `expected ConfigInvalid, got ${String(started)}`);
  assert.match(started.message, new RegExp(`^stage score: .*input topic "${input.replaceAll('.', '\\.')}"`));
  assert.ok(started.message.includes(`nothing is registered under subject "${input}-value"`), started.message);
  assert.ok(started.message.includes(`Declare topics[${JSON.stringify(input)}].schema (the producers' .avsc file)`), started.message);
  assert.ok(!logs.some((line) => line.includes('"msg":"joined consumer group"')), 'the stage never joined its group');
});
