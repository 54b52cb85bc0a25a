import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { createSchemaRegistry } from '../src/serde/schema-registry.js';
import { collect, connection, createTopic, testKafka, uniqueName } from './helpers/kafka.js';

const kafka = testKafka('schema-registry');
const registry = createSchemaRegistry(connection);

interface Click {
  readonly id: string;
  readonly score: number;
  readonly clicked: boolean;
}

const clickSchema: avro.schema.RecordType = {
  type: 'record',
  name: 'Click',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'score', type: 'double' },
    { name: 'clicked', type: 'boolean' },
  ],
};

function register(schema: object, subject: string): Promise<{ id: number }> {
  return registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
    { subject, compatibility: COMPATIBILITY.BACKWARD },
  );
}

test('Avro records round-trip through Kafka in the Confluent wire format with a schema from the real registry', async () => {
  const topic = uniqueName('avro');
  await createTopic(kafka, topic, 1);
  const { id } = await register(clickSchema, `${topic}-value`);

  const clicks: Click[] = Array.from({ length: 50 }, (_, index) => ({ id: `c-${index}`, score: index / 7, clicked: index % 3 === 0 }));
  const encoded = await Promise.all(clicks.map((click) => registry.encode(id, click)));

  // The wire format, checked byte by byte and decoded with avsc alone: magic 0, schema id (int32 BE), Avro body.
  const plainAvro = avro.Type.forSchema(clickSchema);
  encoded.forEach((buffer, index) => {
    assert.equal(buffer.readUInt8(0), 0, 'magic byte');
    assert.equal(buffer.readInt32BE(1), id, 'schema id');
    assert.deepEqual({ ...(plainAvro.fromBuffer(buffer.subarray(5)) as Click) }, clicks[index]);
  });

  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({ topic, messages: encoded.map((value, index) => ({ key: clicks[index]!.id, value })) });
  await producer.disconnect();

  const collector = await collect(kafka, topic);
  try {
    await collector.waitForCount(clicks.length);
  } finally {
    await collector.stop();
  }
  // Decoding looks the schema up in the registry by the id in each record.
  const fresh = createSchemaRegistry(connection);
  const decoded = await Promise.all(collector.records.map(async (record) => ({ ...((await fresh.decode(record.value!)) as Click) })));
  assert.deepEqual(decoded, clicks);
});

test('the registry rejects a schema change that breaks backward compatibility and accepts one that keeps it', async () => {
  const subject = `${uniqueName('compat')}-value`;
  const first = await register(clickSchema, subject);

  const breaking = { ...clickSchema, fields: clickSchema.fields.map((field) => (field.name === 'score' ? { ...field, type: 'string' } : field)) };
  await assert.rejects(register(breaking, subject), (error: unknown) => {
    // A 409 from the registry itself, not the client library's own configuration check.
    assert.ok(error instanceof Error && 'status' in error, `expected an HTTP error, got ${String(error)}`);
    assert.equal(error.status, 409);
    assert.match(error.message, /incompatible/i);
    return true;
  });

  const compatible = { ...clickSchema, fields: [...clickSchema.fields, { name: 'campaign', type: 'string', default: 'none' }] };
  const second = await register(compatible, subject);
  assert.notEqual(second.id, first.id);
  assert.equal(await registry.getLatestSchemaId(subject), second.id);
});
