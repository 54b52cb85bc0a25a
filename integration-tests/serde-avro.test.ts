import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import type { ConnectionSettings } from '../src/config/connection.js';
import { ErrorCode, isKascadeError } from '../src/errors.js';
import { createAvroSerde } from '../src/serde/avro-serde.js';
import { HttpSchemaRegistry } from '../src/serde/http-schema-registry.js';
import { createSchemaRegistry } from '../src/serde/schema-registry.js';
import { connection, uniqueName } from './helpers/kafka.js';

/**
 * The Avro serde against the real registry (Apicurio's Confluent API on the local stack): its
 * bytes are checked with an independent implementation (@kafkajs/confluent-schema-registry),
 * and each error the registry can give is classified as the runtime expects.
 */

const clickV1 = {
  type: 'record',
  name: 'Click',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'score', type: 'double' },
    { name: 'at', type: 'long' },
    { name: 'region', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
} satisfies avro.schema.AvroSchema;

const clickV2 = { ...clickV1, fields: [...clickV1.fields, { name: 'campaign', type: 'string', default: 'none' }] } satisfies avro.schema.AvroSchema;

const clicks = Array.from({ length: 20 }, (_, index) => ({
  id: `c-${index}`,
  score: index / 7,
  at: 1_700_000_000_000 + index,
  region: index % 2 === 0 ? null : 'eu',
  tags: index % 3 === 0 ? [] : ['a', `t${index}`],
}));

/** Sets a subject's compatibility rule through the registry's REST API. */
async function setCompatibility(subject: string, compatibility: 'BACKWARD' | 'NONE'): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  const auth = connection.schemaRegistryAuth;
  if (auth !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const response = await fetch(`${connection.schemaRegistryUrl}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ compatibility }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** A local address where nothing listens: bound, then released. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/apis/ccompat/v7`;
}

function withUrl(url: string): ConnectionSettings {
  return { brokers: connection.brokers, schemaRegistryUrl: url };
}

function fails(code: ErrorCode, retriable: boolean, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isKascadeError(error), `expected a KascadeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.retriable, retriable, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

test('our bytes decode with @kafkajs/confluent-schema-registry, and its bytes decode with our serde', async () => {
  const topic = uniqueName('serde-avro');
  const serde = createAvroSerde({ topic, registry: new HttpSchemaRegistry(connection), schema: clickV1 });
  await serde.init();
  const reference = createSchemaRegistry(connection);
  const id = await reference.getLatestSchemaId(`${topic}-value`);

  for (const click of clicks) {
    const ours = (await serde.serialize(click))!;
    assert.equal(ours.readUInt8(0), 0, 'magic byte');
    assert.equal(ours.readInt32BE(1), id, 'the id registered under <topic>-value');
    assert.deepEqual({ ...((await reference.decode(ours)) as object) }, click);

    const theirs = await reference.encode(id, click);
    assert.deepEqual(ours, theirs, 'the same bytes');
    assert.deepEqual(await serde.deserialize(theirs), click);
  }
});

test('records written by another client with v1 read as v2 through the real registry', async () => {
  const topic = uniqueName('serde-evolve');
  const reference = createSchemaRegistry(connection);
  const { id: v1Id } = await reference.register({ type: SchemaType.AVRO, schema: JSON.stringify(clickV1) }, { subject: `${topic}-value` });
  await setCompatibility(`${topic}-value`, 'BACKWARD');
  const serde = createAvroSerde({ topic, registry: new HttpSchemaRegistry(connection), schema: clickV2 });
  await serde.init();

  const old = await reference.encode(v1Id, clicks[1]);
  assert.deepEqual(await serde.deserialize(old), { ...clicks[1], campaign: 'none' });
  const current = (await serde.serialize({ ...clicks[2], campaign: 'spring' }))!;
  assert.notEqual(current.readInt32BE(1), v1Id);
  assert.deepEqual(await serde.deserialize(current), { ...clicks[2], campaign: 'spring' });
});

test('an id the registry does not know is SchemaNotFound, quoting the registry', async () => {
  const serde = createAvroSerde({ topic: uniqueName('serde-unknown'), registry: new HttpSchemaRegistry(connection), schema: clickV1 });
  const frame = Buffer.from([0, 0, 0, 0, 0, 0x02, 0x61]);
  frame.writeInt32BE(2147480000, 1);
  // Apicurio answers 404 {"message":"Schema 2147480000 not found.","error_code":40403}.
  await assert.rejects(serde.deserialize(frame), fails(ErrorCode.SchemaNotFound, false, /^schema id 2147480000 is not known to the schema registry at .*\(HTTP 404\): .*2147480000.* \(error code 40403\)$/));
});

test('a registry address where nothing listens is RegistryUnreachable, retriable', async () => {
  const url = await deadAddress();
  const serde = createAvroSerde({ topic: uniqueName('serde-down'), registry: new HttpSchemaRegistry(withUrl(url)), schema: clickV1 });
  const unreachable = fails(ErrorCode.RegistryUnreachable, true, /did not answer .*ECONNREFUSED/);
  await assert.rejects(serde.init(), unreachable);
  await assert.rejects(serde.deserialize(Buffer.from([0, 0, 0, 0, 1, 0])), unreachable);
});

test('a URL that misses the API path is RegistryUnreachable (retriable), not SchemaNotFound', async () => {
  // Apicurio answers 404 with a problem+json body and no Confluent error code.
  const origin = new URL(connection.schemaRegistryUrl).origin;
  const registry = new HttpSchemaRegistry(withUrl(origin));
  await assert.rejects(registry.schemaById(1), fails(ErrorCode.RegistryUnreachable, true, /unexpected answer to GET \/schemas\/ids\/1 \(HTTP 404\): .*Could not find resource/));
});

test('a schema change the subject rule forbids fails init with ConfigInvalid naming the subject', async () => {
  const topic = uniqueName('serde-compat');
  const subject = `${topic}-value`;
  const registry = new HttpSchemaRegistry(connection);
  await createAvroSerde({ topic, registry, schema: clickV1 }).init();
  await setCompatibility(subject, 'BACKWARD');

  const breaking = { ...clickV1, fields: clickV1.fields.map((field) => (field.name === 'score' ? { ...field, type: 'string' } : field)) };
  const next = createAvroSerde({ topic, registry: new HttpSchemaRegistry(connection), schema: breaking });
  // Apicurio answers 409 {"message":"...RuleViolationException: Incompatible artifact: <subject> [AVRO], ...","error_code":409}.
  await assert.rejects(
    next.init(),
    fails(ErrorCode.ConfigInvalid, false, new RegExp(`rejected the schema for subject "${subject.replace(/\./g, '\\.')}" as incompatible .*\\(HTTP 409\\): .*Incompatible artifact`)),
  );
  // A compatible change still registers.
  await createAvroSerde({ topic, registry: new HttpSchemaRegistry(connection), schema: clickV2 }).init();
});

test('a schema the registry cannot parse is ConfigInvalid (HTTP 422)', async () => {
  const registry = new HttpSchemaRegistry(connection);
  const subject = `${uniqueName('serde-invalid')}-value`;
  // Apicurio answers 422 {"message":"Failed to discover artifact type from content.","error_code":42201}.
  await assert.rejects(registry.register(subject, '{"type":"recordx"}'), fails(ErrorCode.ConfigInvalid, false, /as not a valid schema \(HTTP 422\): .*\(error code 42201\)$/));
});
