import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { connectionFromEnv } from '../../src/config/connection.js';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { HttpSchemaRegistry } from '../../src/serde/http-schema-registry.js';
import { probeSchemaRegistry } from '../../src/serde/registry-probe.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';

/**
 * An https registry stand-in with a certificate from a private CA (test/fixtures/tls), which
 * wants basic auth: what a registry behind a company's TLS and login looks like.
 */
const TLS = 'test/fixtures/tls';
const PASSWORD = 'https-registry-pw';
const expected = `Basic ${Buffer.from(`svc:${PASSWORD}`).toString('base64')}`;
let server: Server;
let url: string;
const seen: Array<string | undefined> = [];

before(async () => {
  server = createServer({ cert: readFileSync(`${TLS}/server.pem`), key: readFileSync(`${TLS}/server.key`) }, (request, response) => {
    seen.push(request.headers.authorization);
    request.resume();
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized","error_code":401}');
      return;
    }
    if (request.url?.endsWith('/versions') === true) response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42}');
    else response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function env(extra: Record<string, string>): Record<string, string> {
  return { SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_USERNAME: 'svc', SCHEMA_REGISTRY_PASSWORD: PASSWORD, ...extra };
}

test('an https registry with a private CA: trusted through SCHEMA_REGISTRY_CA_LOCATION, credentials sent', async () => {
  const connection = connectionFromEnv(env({ SCHEMA_REGISTRY_CA_LOCATION: `${TLS}/ca.pem` }));
  assert.equal(await new HttpSchemaRegistry(connection).register('s-value', '"string"'), 42);
  await probeSchemaRegistry(connection);
  assert.equal(seen.at(-1), expected);
});

test('without the CA (or with another one) the handshake fails, the message says what to set and holds no secret', async () => {
  for (const extra of [{}, { SCHEMA_REGISTRY_CA_LOCATION: `${TLS}/other-ca.pem` }]) {
    const connection = connectionFromEnv(env(extra));
    await assert.rejects(new HttpSchemaRegistry(connection).schemaById(1), (error: unknown) => {
      assert.ok(isKascadeError(error, ErrorCode.RegistryUnreachable) && error.retriable, String(error));
      assert.match(error.message, /did not answer GET \/schemas\/ids\/1: TLS: the registry's certificate is not trusted \(.+\); set SCHEMA_REGISTRY_CA_LOCATION to the CA that signed it$/);
      assert.ok(!error.message.includes(PASSWORD));
      return true;
    });
  }
});

test('the @kafkajs/confluent-schema-registry client (used to decode in tests) trusts the same CA', async () => {
  const registry = createSchemaRegistry(connectionFromEnv(env({ SCHEMA_REGISTRY_CA_LOCATION: `${TLS}/ca.pem` })));
  const before = seen.length;
  await assert.rejects(registry.getSchema(7));
  assert.equal(seen.length, before + 1, 'the request reached the server through TLS');
  assert.equal(seen.at(-1), expected);
});
