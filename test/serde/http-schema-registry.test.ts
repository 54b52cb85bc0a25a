import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import type { ConnectionSettings } from '../../src/config/connection.js';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { HttpSchemaRegistry } from '../../src/serde/http-schema-registry.js';

/**
 * A local HTTP server standing in for the registry, to produce the answers the real one gives
 * rarely (5xx, 401, 403, timeouts). What Apicurio really answers is checked in
 * integration-tests/serde-avro.test.ts.
 */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  /** Never answer (to test the timeout). */
  readonly hang?: boolean;
}

interface FakeRegistry {
  readonly url: string;
  readonly seen: Seen[];
  reply: (request: Seen) => Reply;
}

const servers: Server[] = [];
after(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function fakeRegistry(reply: (request: Seen) => Reply): Promise<FakeRegistry> {
  const fake: { seen: Seen[]; reply: (request: Seen) => Reply } = { seen: [], reply };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: Seen = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() };
      fake.seen.push(seen);
      const answer = fake.reply(seen);
      if (answer.hang === true) return;
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}/apis/ccompat/v7` });
}

const credentials = { username: 'alice', password: 's3cret-pw' };

function connectionTo(url: string, withAuth = false): ConnectionSettings {
  return withAuth ? { brokers: [], schemaRegistryUrl: url, schemaRegistryAuth: credentials } : { brokers: [], schemaRegistryUrl: url };
}

function expectError(code: ErrorCode, retriable: boolean, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isKascadeError(error), `expected a KascadeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.retriable, retriable, error.message);
    assert.match(error.message, pattern);
    for (const secret of [credentials.username, credentials.password, Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')]) {
      assert.ok(!error.message.includes(secret), `message leaks a credential: ${error.message}`);
    }
    return true;
  };
}

const SCHEMA = '{"type":"string"}';

test('register POSTs the schema to /subjects/{subject}/versions with basic auth and returns the id', async () => {
  const fake = await fakeRegistry(() => ({ status: 200, body: { id: 7 } }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url, true));
  assert.equal(await registry.register('clicks/eu-value', SCHEMA), 7);
  assert.equal(await registry.register('clicks/eu-value', SCHEMA), 7);
  assert.equal(fake.seen.length, 1, 'a registration is remembered');
  const [request] = fake.seen;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.url, '/apis/ccompat/v7/subjects/clicks%2Feu-value/versions');
  assert.equal(request!.headers['content-type'], 'application/vnd.schemaregistry.v1+json');
  assert.equal(request!.headers.authorization, `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`);
  assert.deepEqual(JSON.parse(request!.body), { schema: SCHEMA });
});

test('schemaById GETs /schemas/ids/{id} once: ids are immutable', async () => {
  const fake = await fakeRegistry(() => ({ status: 200, body: { schema: SCHEMA } }));
  const registry = new HttpSchemaRegistry(connectionTo(`${fake.url}/`));
  const answers = await Promise.all([registry.schemaById(3), registry.schemaById(3)]);
  assert.deepEqual(answers, [SCHEMA, SCHEMA]);
  assert.equal(await registry.schemaById(3), SCHEMA);
  assert.deepEqual(
    fake.seen.map((request) => `${request.method} ${request.url}`),
    ['GET /apis/ccompat/v7/schemas/ids/3'],
  );
  assert.equal(fake.seen[0]!.headers.authorization, undefined);
});

test('a 404 with error code 40403 is SchemaNotFound, not retriable, and is asked again next time', async () => {
  const fake = await fakeRegistry(() => ({ status: 404, body: { message: 'Schema 99 not found.', error_code: 40403 } }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url));
  const pattern = /^schema id 99 is not known to the schema registry at http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 \(HTTP 404\): Schema 99 not found\. \(error code 40403\)$/;
  await assert.rejects(registry.schemaById(99), expectError(ErrorCode.SchemaNotFound, false, pattern));
  await assert.rejects(registry.schemaById(99), expectError(ErrorCode.SchemaNotFound, false, pattern));
  assert.equal(fake.seen.length, 2);
});

test('a schema of another type (PROTOBUF, JSON) is SchemaNotFound for an Avro topic', async () => {
  const fake = await fakeRegistry(() => ({ status: 200, body: { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' } }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url));
  await assert.rejects(registry.schemaById(4), expectError(ErrorCode.SchemaNotFound, false, /schema id 4 .* is a PROTOBUF schema, not Avro$/));
});

test('latestVersion GETs /subjects/{subject}/versions/latest each time, and the schema id it names needs no lookup after', async () => {
  let version = 1;
  const fake = await fakeRegistry((request) =>
    request.url.endsWith('/versions/latest') ? { status: 200, body: { subject: 'clicks/eu-value', version, id: 10 + version, schema: SCHEMA } } : { status: 500 },
  );
  const registry = new HttpSchemaRegistry(connectionTo(fake.url, true));
  assert.deepEqual(await registry.latestVersion('clicks/eu-value'), { subject: 'clicks/eu-value', version: 1, id: 11, schema: SCHEMA });
  version = 2;
  assert.deepEqual(await registry.latestVersion('clicks/eu-value'), { subject: 'clicks/eu-value', version: 2, id: 12, schema: SCHEMA }, 'asked again: producers register new versions');
  assert.equal(await registry.schemaById(12), SCHEMA);
  assert.deepEqual(
    fake.seen.map((request) => `${request.method} ${request.url}`),
    ['GET /apis/ccompat/v7/subjects/clicks%2Feu-value/versions/latest', 'GET /apis/ccompat/v7/subjects/clicks%2Feu-value/versions/latest'],
  );
  assert.equal(fake.seen[0]!.headers.authorization, `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`);
});

test('latestVersion of a subject with nothing registered (40401, 40402) is undefined; other 404s are RegistryUnreachable', async () => {
  for (const code of [40401, 40402]) {
    const fake = await fakeRegistry(() => ({ status: 404, body: { message: "Subject 'x-value' not found.", error_code: code } }));
    assert.equal(await new HttpSchemaRegistry(connectionTo(fake.url)).latestVersion('x-value'), undefined);
  }
  const wrongUrl = await fakeRegistry(() => ({ status: 404 }));
  await assert.rejects(
    new HttpSchemaRegistry(connectionTo(wrongUrl.url)).latestVersion('x-value'),
    expectError(ErrorCode.RegistryUnreachable, true, /unexpected answer to GET \/subjects\/x-value\/versions\/latest \(HTTP 404\)/),
  );
  const down = await fakeRegistry(() => ({ status: 503, body: 'down' }));
  await assert.rejects(new HttpSchemaRegistry(connectionTo(down.url)).latestVersion('x-value'), expectError(ErrorCode.RegistryUnreachable, true, /HTTP 503/));
});

test('latestVersion of a subject whose latest schema is not Avro is ConfigInvalid', async () => {
  const fake = await fakeRegistry(() => ({ status: 200, body: { subject: 'x-value', version: 3, id: 7, schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' } }));
  await assert.rejects(
    new HttpSchemaRegistry(connectionTo(fake.url)).latestVersion('x-value'),
    expectError(ErrorCode.ConfigInvalid, false, /^the latest version \(3\) of subject "x-value" in the schema registry at \S+ is a PROTOBUF schema, not Avro$/),
  );
});

test('5xx, 401, 403, 408 and 429 are RegistryUnreachable, retriable, and never show credentials', async () => {
  for (const status of [500, 502, 503, 401, 403, 408, 429]) {
    const fake = await fakeRegistry(() => ({ status, body: { message: `status ${status}`, error_code: status } }));
    const registry = new HttpSchemaRegistry(connectionTo(fake.url, true));
    const hint = status === 401 || status === 403 ? ' \\(check SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD, or the credentials in SCHEMA_REGISTRY_URL\\)' : '';
    await assert.rejects(
      registry.schemaById(1),
      expectError(ErrorCode.RegistryUnreachable, true, new RegExp(`answered HTTP ${status} to GET /schemas/ids/1${hint}: status ${status} \\(error code ${status}\\)$`)),
    );
    await assert.rejects(registry.register('s-value', SCHEMA), expectError(ErrorCode.RegistryUnreachable, true, new RegExp(`answered HTTP ${status} to POST`)));
  }
});

test('a 401 without configured credentials says which variables to set', async () => {
  const fake = await fakeRegistry(() => ({ status: 401, body: { message: 'Unauthorized', error_code: 401 } }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url));
  await assert.rejects(
    registry.schemaById(1),
    expectError(ErrorCode.RegistryUnreachable, true, /answered HTTP 401 to GET \/schemas\/ids\/1 \(no credentials are configured: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD\)/),
  );
  assert.equal(fake.seen[0]?.headers.authorization, undefined);
});

test('after an outage the same lookup is tried again', async () => {
  let healthy = false;
  const fake = await fakeRegistry(() => (healthy ? { status: 200, body: { schema: SCHEMA } } : { status: 503, body: 'down' }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url));
  await assert.rejects(registry.schemaById(5), expectError(ErrorCode.RegistryUnreachable, true, /HTTP 503.*: no error message$/));
  healthy = true;
  assert.equal(await registry.schemaById(5), SCHEMA);
});

test('a 404 that is not the registry speaking (wrong base URL) is RegistryUnreachable, not SchemaNotFound', async () => {
  const fake = await fakeRegistry(() => ({ status: 404 }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url));
  const pattern = /unexpected answer to GET \/schemas\/ids\/1 \(HTTP 404\): no error message; is SCHEMA_REGISTRY_URL the root of a Confluent-compatible API\?$/;
  await assert.rejects(registry.schemaById(1), expectError(ErrorCode.RegistryUnreachable, true, pattern));
  await assert.rejects(registry.register('s-value', SCHEMA), expectError(ErrorCode.RegistryUnreachable, true, /unexpected answer to POST/));
});

test('a 200 without the expected body is RegistryUnreachable', async () => {
  const fake = await fakeRegistry(() => ({ status: 200, body: '<html>proxy login</html>' }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url));
  await assert.rejects(registry.schemaById(1), expectError(ErrorCode.RegistryUnreachable, true, /unexpected answer to GET \/schemas\/ids\/1 \(HTTP 200\)/));
  await assert.rejects(registry.register('s-value', SCHEMA), expectError(ErrorCode.RegistryUnreachable, true, /unexpected answer to POST .* \(HTTP 200\)/));
});

test('409 and 422 on register are ConfigInvalid naming the subject and quoting the registry', async () => {
  const fake = await fakeRegistry((request) =>
    request.url.includes('/subjects/compat-value/')
      ? { status: 409, body: { message: 'Incompatible artifact: compat-value [AVRO]', error_code: 409 } }
      : { status: 422, body: { message: 'Failed to discover artifact type from content.', error_code: 42201 } },
  );
  const registry = new HttpSchemaRegistry(connectionTo(fake.url, true));
  await assert.rejects(
    registry.register('compat-value', SCHEMA),
    expectError(
      ErrorCode.ConfigInvalid,
      false,
      /^schema registry at \S+ rejected the schema for subject "compat-value" as incompatible with the subject's earlier versions \(HTTP 409\): Incompatible artifact: compat-value \[AVRO\] \(error code 409\)$/,
    ),
  );
  await assert.rejects(
    registry.register('bad-value', '{"type":"nope"}'),
    expectError(ErrorCode.ConfigInvalid, false, /subject "bad-value" as not a valid schema \(HTTP 422\): Failed to discover artifact type from content\. \(error code 42201\)$/),
  );
});

test('no answer within the timeout is RegistryUnreachable, retriable', async () => {
  const fake = await fakeRegistry(() => ({ status: 200, hang: true }));
  const registry = new HttpSchemaRegistry(connectionTo(fake.url, true), { timeoutMs: 100 });
  await assert.rejects(
    registry.schemaById(1),
    expectError(ErrorCode.RegistryUnreachable, true, /^schema registry at http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 did not answer GET \/schemas\/ids\/1: no answer within 100 ms$/),
  );
});

test('a refused connection is RegistryUnreachable, retriable, with the reason', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const registry = new HttpSchemaRegistry(connectionTo(`http://127.0.0.1:${port}`, true));
  await assert.rejects(registry.register('s-value', SCHEMA), expectError(ErrorCode.RegistryUnreachable, true, /did not answer POST \/subjects\/s-value\/versions: connect ECONNREFUSED/));
});
