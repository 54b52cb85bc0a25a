import assert from 'node:assert/strict';
import { test } from 'node:test';
import type avro from 'avsc';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { createAvroSerde } from '../../src/serde/avro-serde.js';
import { InMemorySchemaRegistry } from '../../src/testing/in-memory-schema-registry.js';

const request = {
  type: 'record',
  name: 'Request',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'user', type: 'string' },
    { name: 'features', type: { type: 'array', items: 'float' } },
    { name: 'meta', type: { type: 'record', name: 'Meta', fields: [{ name: 'source', type: 'string' }] } },
    { name: 'tags', type: { type: 'map', values: 'Meta' } },
  ],
} satisfies avro.schema.AvroSchema;

const value = { id: 'r-1', user: 'u-42', features: [0.5, -1.25, 3], meta: { source: 'web' }, tags: { a: { source: 'x' } } };

test('only the named fields are decoded, equal to the whole decode; the others are skipped', async () => {
  const serde = createAvroSerde({ topic: 'requests', registry: new InMemorySchemaRegistry(), schema: request });
  const bytes = await serde.serialize(value);
  const whole = (await serde.deserialize(bytes)) as Record<string, unknown>;
  assert.deepEqual(await serde.deserializeFields!(bytes, ['user']), { user: whole['user'] });
  // A field whose type is a named type defined in another field still reads.
  assert.deepEqual(await serde.deserializeFields!(bytes, ['tags', 'id']), { id: 'r-1', tags: { a: { source: 'x' } } });
});

test('records written by another producer with another schema are projected from the writer schema', async () => {
  const registry = new InMemorySchemaRegistry();
  const producer = createAvroSerde({ topic: 'requests', registry, schema: request });
  const bytes = await producer.serialize(value);
  const reader = createAvroSerde({ topic: 'requests', registry, registerAtInit: false });
  assert.deepEqual(await reader.deserializeFields!(bytes, ['user']), { user: 'u-42' });
});

test('a body that cannot be decoded whole fails the projection the same way: truncated, trailing bytes, unknown id', async () => {
  const serde = createAvroSerde({ topic: 'requests', registry: new InMemorySchemaRegistry(), schema: request });
  const bytes = (await serde.serialize(value)) as Buffer;
  for (const broken of [bytes.subarray(0, bytes.length - 3), Buffer.concat([bytes, Buffer.from([1, 2])])]) {
    const wholeError = await serde.deserialize(broken).then(() => undefined, (error: unknown) => error);
    const fieldsError = await serde.deserializeFields!(broken, ['user']).then(() => undefined, (error: unknown) => error);
    assert.ok(isKascadeError(wholeError, ErrorCode.DecodeFailed));
    assert.ok(isKascadeError(fieldsError, ErrorCode.DecodeFailed), String(fieldsError));
  }
  const unknownId = Buffer.from(bytes);
  unknownId.writeInt32BE(999, 1);
  await assert.rejects(serde.deserializeFields!(unknownId, ['user']), (error: unknown) => isKascadeError(error, ErrorCode.SchemaNotFound));
});

test('a field the schema does not have, or a value that is not a record, falls back to the whole value', async () => {
  const serde = createAvroSerde({ topic: 'requests', registry: new InMemorySchemaRegistry(), schema: request });
  const bytes = await serde.serialize(value);
  assert.deepEqual(await serde.deserializeFields!(bytes, ['user', 'missing']), await serde.deserialize(bytes));
  const strings = createAvroSerde({ topic: 'names', registry: new InMemorySchemaRegistry(), schema: 'string' });
  assert.equal(await strings.deserializeFields!(await strings.serialize('plain'), ['user']), 'plain');
});
