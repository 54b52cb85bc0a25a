import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createValueDecoder, isRecordDecodeFailure } from '../../../src/experiments/ctr/value-decoder.js';
import { ErrorCode, KascadeError } from '../../../src/errors.js';
import { createAvroSerde } from '../../../src/serde/avro-serde.js';
import { InMemorySchemaRegistry } from '../../../src/testing/in-memory-schema-registry.js';

const schema = {
  type: 'record',
  name: 'Prediction',
  fields: [
    { name: 'requestId', type: 'string' },
    { name: 'probability', type: 'double' },
  ],
} as const;

test('values are decoded record by record: magic byte 0 is Avro (writer schema from the registry), anything else JSON', async () => {
  const registry = new InMemorySchemaRegistry();
  const writer = createAvroSerde({ topic: 'impressions', registry, schema: { ...schema, fields: [...schema.fields] } });
  const avroBytes = await writer.serialize({ requestId: 'r-1', probability: 0.25 });
  assert.ok(avroBytes !== null);
  const decoder = createValueDecoder(createAvroSerde({ topic: 'impressions', registry }));
  assert.deepEqual(await decoder.decode(avroBytes), { requestId: 'r-1', probability: 0.25 });
  assert.deepEqual(await decoder.decode(Buffer.from('{"requestId":"r-2"}')), { requestId: 'r-2' });
});

test('undecodable records are record failures (counted), a registry outage is not', async () => {
  const decoder = createValueDecoder(createAvroSerde({ topic: 'impressions', registry: new InMemorySchemaRegistry() }));
  for (const bad of [Buffer.from('not json'), Buffer.from([0, 0, 0, 0, 99, 1]), Buffer.from([0, 1]), null]) {
    const error = await decoder.decode(bad).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(isRecordDecodeFailure(error), String(error));
  }
  assert.equal(isRecordDecodeFailure(new KascadeError(ErrorCode.RegistryUnreachable, 'down', { retriable: true })), false);
});
