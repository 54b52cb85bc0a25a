import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { runTopology } from '../src/kafka/topology-runner.js';
import { armForBucket, armRanges, assignmentBucket } from '../src/routing/assignment.js';
import { encodeConfluentFrame } from '../src/serde/confluent-wire-format.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { topologyTopics } from '../src/topology/topics.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { connection, testKafka, uniqueName, testAccess } from './helpers/kafka.js';
import { readAll } from './helpers/read-topic.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('avro-router');
const FILE = 'integration-tests/fixtures/avro-router.yaml';
const schemaText = readFileSync('integration-tests/fixtures/schemas/request.avsc', 'utf8');
const requestType = avro.Type.forSchema(JSON.parse(schemaText) as avro.schema.AvroSchema);

test('an Avro router writes every input byte for byte to the arm of its user, and dead-letters a body it cannot decode', async () => {
  const run = uniqueName('avro-router');
  const { spec, baseDir } = await loadTopologyFile(FILE, { env: { ...process.env, KASCADE_RUN: run } });
  await ensureTopics(testAccess, topologyTopics(spec));
  const registry = createHttpSchemaRegistryClient(connection);
  const schemaId = await registry.register(`${run}.requests-value`, schemaText);
  const count = 3000;
  const inputs = Array.from({ length: count }, (_, index) => {
    const request = { id: `r-${String(index)}`, user: `u-${String(index % 97)}`, seq: index, amount: index / 7 };
    return { key: request.user, value: encodeConfluentFrame(schemaId, requestType.toBuffer(request)), request };
  });
  const truncated = inputs[5]!.value.subarray(0, inputs[5]!.value.length - 4);
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({ topic: `${run}.requests`, messages: [...inputs.map(({ key, value }) => ({ key, value })), { key: 'broken', value: truncated }] });
  await producer.disconnect();

  const logs: string[] = [];
  const running = await runTopology({
    spec,
    connection,
    serdes: createTopicSerdes(spec, { registry, baseDir }),
    plugins: { transforms: new TransformRegistry() },
    logger: jsonLogger('info', {}, (line) => logs.push(line)),
    modelsRoot: baseDir,
  });
  try {
    await waitFor(() => Number(running.stats()['split']?.['consumed']) >= count + 1, { what: 'the router to consume every record' });
    const [armA, armB, deadLetters] = await Promise.all([readAll(kafka, `${run}.arm-a`), readAll(kafka, `${run}.arm-b`), readAll(kafka, `${run}.requests.dlq`)]);
    const stage = spec.stages[0];
    assert.ok(stage?.type === 'router');
    const ranges = armRanges(stage.arms);
    const byId = new Map(inputs.map((input) => [input.request.id, input]));
    const seen = new Set<string>();
    for (const [arm, records] of [['a', armA], ['b', armB]] as const) {
      for (const record of records) {
        const id = record.headers['kascade.request-id']!;
        const input = byId.get(id);
        assert.ok(input !== undefined, `unexpected output ${id}`);
        assert.ok(!seen.has(id), `${id} written twice`);
        seen.add(id);
        // The bytes written are the input's, whole: nothing was decoded and encoded again.
        assert.deepEqual(record.value, input.value);
        assert.equal(record.key, input.key);
        assert.equal(armForBucket(ranges, assignmentBucket('avro-router', input.request.user)).arm.name, arm, `${id} in arm ${arm}`);
        assert.equal(record.headers['kascade.unit'], input.request.user);
      }
    }
    assert.equal(seen.size, count);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.key, 'broken');
    assert.equal(deadLetters[0]!.headers['kascade.error.code'], 'KASCADE_DECODE_FAILED');
    assert.deepEqual(deadLetters[0]!.value, truncated);
  } finally {
    await running.stop();
  }
});
