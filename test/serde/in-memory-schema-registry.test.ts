import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { InMemorySchemaRegistry } from '../../src/testing/in-memory-schema-registry.js';

const A = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}';
const B = '{"type":"record","name":"B","fields":[{"name":"y","type":"string"}]}';

test('ids start at 1; the same schema gets the same id, in any subject and whatever the whitespace', async () => {
  const registry = new InMemorySchemaRegistry();
  assert.equal(await registry.register('a-value', A), 1);
  assert.equal(await registry.register('a-value', A), 1);
  assert.equal(await registry.register('b-value', B), 2);
  assert.equal(await registry.register('copy-value', JSON.stringify(JSON.parse(A), null, 2)), 1);
  assert.equal(await registry.schemaById(2), B);
  assert.deepEqual(registry.subjects(), ['a-value', 'b-value', 'copy-value']);
  assert.equal(registry.latestId('b-value'), 2);
  assert.equal(registry.latestId('nothing-value'), undefined);
});

test('latestVersion is the subject\'s last registered schema, versions counted per subject; undefined for a subject with none', async () => {
  const registry = new InMemorySchemaRegistry();
  assert.equal(await registry.latestVersion('a-value'), undefined);
  await registry.register('b-value', B);
  await registry.register('a-value', A);
  assert.deepEqual(await registry.latestVersion('a-value'), { subject: 'a-value', version: 1, id: 2, schema: A });
  await registry.register('a-value', B);
  await registry.register('a-value', B);
  assert.deepEqual(await registry.latestVersion('a-value'), { subject: 'a-value', version: 2, id: 1, schema: B });
});

test('an unknown id is SchemaNotFound; an invalid schema is ConfigInvalid', async () => {
  const registry = new InMemorySchemaRegistry();
  await assert.rejects(registry.schemaById(1), (error: unknown) => isKascadeError(error, ErrorCode.SchemaNotFound) && /schema id 1 is not known/.test(error.message));
  await assert.rejects(
    registry.register('bad-value', '{"type":"nope"}'),
    (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && /subject "bad-value".*nope/.test(error.message),
  );
  await assert.rejects(registry.register('bad-value', 'not json'), (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid));
  assert.deepEqual(registry.subjects(), []);
});
