import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import { runTopology, type RunningTopology } from '../src/kafka/topology-runner.js';
import { DeadLetterHeader } from '../src/runtime/dead-letters/dead-letter.js';
import { LineageHeader } from '../src/runtime/lineage.js';
import type { Headers } from '../src/runtime/record.js';
import { onnxRunner } from '../src/runtime/stage-handlers.js';
import { ExperimentHeader } from '../src/routing/experiment-headers.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { Topology, type TopologySpec } from '../src/topology/spec.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { featuresFor, logistic, readWeights } from '../test/helpers/ctr-model.js';
import { connection, testKafka, type ReceivedRecord } from './helpers/kafka.js';
import { waitForGroupCaughtUp } from './helpers/group-progress.js';
import { produceRaw, type RawInput } from './helpers/raw-produce.js';
import { confluentFrame, javaPartition, MIXED_HEADERS } from '../test/helpers/wire-bytes.js';
import { readAll } from './helpers/read-topic.js';

/**
 * Records another team's services write (confluent-kafka in Python, the Java client) through
 * stages of every kind on the real broker and registry: keys and headers come out byte for byte
 * (null header values, binary values, repeated names, keys that are not UTF-8), records land on the
 * partition their key bytes hash to, what cannot be handled is dead-lettered with its original
 * bytes, and no record stops a stage.
 */

const kafka = testKafka('bytes-in-bytes-out');
const run = `bytes${randomUUID().slice(0, 8)}`;
const topic = (name: string): string => `${run}.${name}`;
const registry = createHttpSchemaRegistryClient(connection);

const spec: TopologySpec = Topology.parse({
  name: `bytes-${run}`,
  modelsRoot: 'models',
  topics: {
    [topic('in')]: { partitions: 3, external: true },
    [topic('echoed')]: { partitions: 5 },
    [topic('requests')]: { partitions: 2, external: true, key: { format: 'avro' } },
    [topic('arm-a')]: { partitions: 3 },
    [topic('arm-b')]: { partitions: 3 },
    [topic('features')]: { partitions: 2, external: true },
    [topic('scores')]: { partitions: 4 },
  },
  stages: [
    { name: 'echo', type: 'transform', input: topic('in'), function: 'echo', output: topic('echoed'), consumer: { sessionTimeoutMs: 6000 } },
    {
      name: 'split',
      type: 'router',
      input: topic('requests'),
      experiment: 'exp',
      arms: [
        { name: 'a', weight: 1, output: topic('arm-a') },
        { name: 'b', weight: 1, output: topic('arm-b') },
      ],
      consumer: { sessionTimeoutMs: 6000 },
    },
    {
      name: 'score',
      type: 'inference',
      input: topic('features'),
      model: { id: 'ctr-logreg', path: 'ctr-logreg.onnx' },
      requestId: { field: 'id' },
      inputs: { features: { field: 'features' } },
      outputs: { probability: { output: 'probability' } },
      passthrough: ['id'],
      consumer: { sessionTimeoutMs: 6000 },
      output: topic('scores'),
    },
  ],
});

/** kascade's own headers: each hop writes them anew. */
const OWN = new Set<string>([...Object.values(LineageHeader), ...Object.values(ExperimentHeader)]);
const foreign = (record: ReceivedRecord): Headers => record.headerList.filter(([name]) => !OWN.has(name));


let running: RunningTopology;
const logs: string[] = [];

before(async () => {
  const echo = new TransformRegistry().register('echo', (value) => value);
  running = await runTopology({
    spec,
    connection,
    serdes: createTopicSerdes(spec, { registry, baseDir: process.cwd() }),
    plugins: { transforms: echo, createModelRunner: onnxRunner },
    logger: jsonLogger('info', {}, (line) => logs.push(line)),
    modelsRoot: 'models',
  });
});

after(async () => {
  await running.stop();
});

/** Fails when any stage ended on its own: no input may stop a stage. */
async function assertStillRunning(): Promise<void> {
  const exited = await Promise.race([running.firstExit.then((exit) => exit), Promise.resolve(undefined)]);
  assert.equal(exited, undefined, `a stage exited: ${JSON.stringify(exited)}\n${logs.slice(-20).join('\n')}`);
}

const idOf = (record: ReceivedRecord): string => (JSON.parse(record.value?.toString() ?? '{}') as { id: string }).id;

test('null header values, binary and repeated headers, and keys that are not UTF-8 pass a transform stage byte for byte', async () => {
  // An Avro long 1000 as Confluent's serializer frames it: bytes that are not valid UTF-8.
  const avroKey = confluentFrame(1, avro.Type.forSchema('long').toBuffer(1000));
  const inputs: (RawInput & { id: string })[] = Array.from({ length: 40 }, (_, index) => {
    const id = `r${index}`;
    const key = index % 4 === 0 ? avroKey : index % 4 === 1 ? Buffer.from([0x00, 0xff, index]) : Buffer.from(`user-${index % 7}`);
    const headers: Headers = index % 3 === 0 ? MIXED_HEADERS : index % 3 === 1 ? [['x', null]] : [['x', Buffer.from('plain')]];
    // Every tenth record cannot be decoded: it is dead-lettered, the rest of its batch goes on.
    const value = index % 10 === 9 ? Buffer.from(`{"id":"${id}", not json`) : Buffer.from(JSON.stringify({ id, n: index }));
    return { id, key, headers, value };
  });
  // A keyless record and one without headers too.
  inputs.push({ id: 'keyless', key: null, headers: MIXED_HEADERS, value: Buffer.from('{"id":"keyless"}') });
  inputs.push({ id: 'bare', key: Buffer.alloc(0), headers: [], value: Buffer.from('{"id":"bare"}') });
  await produceRaw(topic('in'), inputs);
  await waitForGroupCaughtUp(kafka, `${spec.name}.echo`, topic('in'));
  await assertStillRunning();

  const bad = inputs.filter((input) => input.value?.toString().includes('not json') === true);
  const good = inputs.filter((input) => !bad.includes(input));
  const echoed = await readAll(kafka, topic('echoed'));
  assert.deepEqual(echoed.map(idOf).sort(), good.map((input) => input.id).sort(), 'every good record exactly once');
  const byId = new Map(inputs.map((input) => [input.id, input]));
  for (const record of echoed) {
    const input = byId.get(idOf(record))!;
    assert.deepEqual(record.keyBytes, input.key, `${input.id}: key bytes`);
    assert.deepEqual(foreign(record), input.headers, `${input.id}: headers`);
    if (input.key !== null) assert.equal(record.partition, javaPartition(input.key, 5), `${input.id}: partitioned on its key bytes`);
  }

  const dead = await readAll(kafka, `${topic('in')}.dlq`);
  assert.equal(dead.length, bad.length);
  for (const record of dead) {
    const input = inputs.find((candidate) => candidate.value?.equals(record.value ?? Buffer.alloc(0)) === true)!;
    assert.equal(record.headers[DeadLetterHeader.errorCode], 'KASCADE_DECODE_FAILED');
    assert.deepEqual(record.keyBytes, input.key);
    assert.deepEqual(
      record.headerList.filter(([name]) => !name.startsWith('kascade.error.')),
      input.headers,
    );
  }
});

test('a router reads Confluent-framed Avro keys (a long, a record) as Python writes them and assigns by the decoded key', async () => {
  const longId = await registry.register(`${topic('requests')}-key`, '"long"');
  const userKey = { type: 'record', name: 'UserKey', namespace: 'com.example', fields: [{ name: 'user', type: 'string' }] };
  const recordId = await registry.register(`${topic('requests')}-key`, JSON.stringify(userKey));
  const recordType = avro.Type.forSchema(userKey as avro.schema.AvroSchema);
  const inputs = [
    ...[1000, 1001, 1002, -5].map((user) => ({ id: `long-${user}`, key: confluentFrame(longId, avro.Type.forSchema('long').toBuffer(user)) })),
    ...['u1', 'u2'].map((user) => ({ id: `record-${user}`, key: confluentFrame(recordId, recordType.toBuffer({ user })) })),
    // Not a Confluent frame although the topic declares Avro keys: dead-lettered, not a stopped stage.
    { id: 'garbage-key', key: Buffer.from([0x07, 0x01]) },
  ];
  await produceRaw(
    topic('requests'),
    inputs.map(({ id, key }) => ({ key, value: Buffer.from(JSON.stringify({ id })), headers: [['x-null', null]] })),
  );
  await waitForGroupCaughtUp(kafka, `${spec.name}.split`, topic('requests'));
  await assertStillRunning();

  const routed = [...(await readAll(kafka, topic('arm-a'))), ...(await readAll(kafka, topic('arm-b')))];
  assert.deepEqual(routed.map(idOf).sort(), inputs.filter((input) => input.id !== 'garbage-key').map((input) => input.id).sort());
  for (const record of routed) {
    const input = inputs.find((candidate) => candidate.id === idOf(record))!;
    assert.deepEqual(record.keyBytes, input.key, `${input.id}: key bytes unchanged`);
    assert.equal(record.partition, javaPartition(input.key, 3), `${input.id}: partitioned on its key bytes`);
    assert.deepEqual(foreign(record), [['x-null', null]]);
    const unit = record.headers[ExperimentHeader.unit];
    if (input.id.startsWith('long-')) assert.equal(unit, input.id.slice('long-'.length), 'an Avro long key is its number');
    else assert.equal(unit, input.key.toString('hex'), 'an Avro record key is identified by its bytes');
  }
  const dead = await readAll(kafka, `${topic('requests')}.dlq`);
  assert.deepEqual(dead.map(idOf), ['garbage-key']);
  assert.match(dead[0]?.headers[DeadLetterHeader.errorMessage] ?? '', /cannot decode key/);
});

test('an inference stage scores records with binary keys and null headers, keeping both, with the model computed independently', async () => {
  const weights = readWeights('ctr-logreg');
  const inputs = Array.from({ length: 12 }, (_, index) => ({
    id: `f${index}`,
    key: Buffer.from([0xc3, 0x28, index]),
    headers: [['x-null', null], ['bin', Buffer.from([0x80, index])], ['x-null', Buffer.from('second')]] as Headers,
    value: Buffer.from(JSON.stringify({ id: `f${index}`, features: featuresFor(index) })),
  }));
  await produceRaw(topic('features'), inputs);
  await waitForGroupCaughtUp(kafka, `${spec.name}.score`, topic('features'));
  await assertStillRunning();

  const scores = await readAll(kafka, topic('scores'));
  assert.deepEqual(scores.map(idOf).sort(), inputs.map((input) => input.id).sort());
  for (const record of scores) {
    const input = inputs.find((candidate) => candidate.id === idOf(record))!;
    const index = Number(input.id.slice(1));
    const prediction = JSON.parse(record.value?.toString() ?? '{}') as { probability: number };
    assert.ok(Math.abs(prediction.probability - logistic(weights, featuresFor(index))) < 1e-6, `${input.id}: probability`);
    assert.deepEqual(record.keyBytes, input.key);
    assert.deepEqual(foreign(record), input.headers);
  }
});
