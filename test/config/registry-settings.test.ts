import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionFromEnv } from '../../src/config/connection.js';
import { describeKafkaConnection, describeRegistryConnection } from '../../src/config/describe-connection.js';
import { ErrorCode, isKascadeError } from '../../src/errors.js';

const PASSWORD = 'registry-pa55';
const HTTPS = 'https://registry.example:8081/apis/ccompat/v7';

function refused(env: Record<string, string>, message: string): void {
  assert.throws(
    () => connectionFromEnv(env),
    (error: unknown) => {
      assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), String(error));
      assert.equal(error.message, message);
      return true;
    },
  );
}

test('SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD become basic auth', () => {
  const connection = connectionFromEnv({ SCHEMA_REGISTRY_URL: HTTPS, SCHEMA_REGISTRY_USERNAME: 'svc', SCHEMA_REGISTRY_PASSWORD: PASSWORD });
  assert.deepEqual(connection.schemaRegistryAuth, { username: 'svc', password: PASSWORD });
  assert.equal(connection.schemaRegistryUrl, HTTPS);
});

test('credentials in the URL and in the variables at once are refused', () => {
  refused(
    { SCHEMA_REGISTRY_URL: `https://svc:${PASSWORD}@registry.example:8081`, SCHEMA_REGISTRY_USERNAME: 'svc', SCHEMA_REGISTRY_PASSWORD: PASSWORD },
    'SCHEMA_REGISTRY_URL holds credentials and SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD are set too: give the credentials one way',
  );
});

test('a user name without a password, or the other way round, is refused', () => {
  refused({ SCHEMA_REGISTRY_URL: HTTPS, SCHEMA_REGISTRY_USERNAME: 'svc' }, 'SCHEMA_REGISTRY_USERNAME is set without SCHEMA_REGISTRY_PASSWORD');
  refused({ SCHEMA_REGISTRY_URL: HTTPS, SCHEMA_REGISTRY_PASSWORD: PASSWORD }, 'SCHEMA_REGISTRY_PASSWORD is set without SCHEMA_REGISTRY_USERNAME');
});

test('SCHEMA_REGISTRY_CA_LOCATION is read at start for an https registry, and refused for an http one', () => {
  const connection = connectionFromEnv({ SCHEMA_REGISTRY_URL: HTTPS, SCHEMA_REGISTRY_CA_LOCATION: 'test/fixtures/tls/ca.pem' });
  assert.match(connection.schemaRegistryCa ?? '', /^-----BEGIN CERTIFICATE-----/);
  assert.equal(connection.schemaRegistryCaFile, 'test/fixtures/tls/ca.pem');
  refused(
    { SCHEMA_REGISTRY_URL: 'http://registry:8081', SCHEMA_REGISTRY_CA_LOCATION: 'test/fixtures/tls/ca.pem' },
    'SCHEMA_REGISTRY_CA_LOCATION is set, but SCHEMA_REGISTRY_URL is http:// (the CA is for an https registry)',
  );
  refused({ SCHEMA_REGISTRY_URL: HTTPS, SCHEMA_REGISTRY_CA_LOCATION: '/missing/ca.pem' }, 'SCHEMA_REGISTRY_CA_LOCATION: cannot read /missing/ca.pem (ENOENT)');
});

test('what doctor shows of the connection names protocol, mechanism, users and files, never a password', () => {
  const connection = connectionFromEnv({
    KAFKA_BROKERS: 'kafka:9094',
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
    KAFKA_SASL_USERNAME: 'svc',
    KAFKA_SASL_PASSWORD: PASSWORD,
    KAFKA_SSL_CA_LOCATION: 'test/fixtures/tls/ca.pem',
    SCHEMA_REGISTRY_URL: HTTPS,
    SCHEMA_REGISTRY_USERNAME: 'reader',
    SCHEMA_REGISTRY_PASSWORD: PASSWORD,
    SCHEMA_REGISTRY_CA_LOCATION: 'test/fixtures/tls/ca.pem',
  });
  assert.equal(describeKafkaConnection(connection), 'KAFKA_BROKERS=kafka:9094 (SASL_SSL, SCRAM-SHA-256 as "svc", CA test/fixtures/tls/ca.pem)');
  assert.equal(describeRegistryConnection(connection), `SCHEMA_REGISTRY_URL=${HTTPS} (basic auth as "reader", CA test/fixtures/tls/ca.pem)`);
  assert.equal(describeKafkaConnection(connectionFromEnv({})), 'KAFKA_BROKERS=127.0.0.1:9092');
  const unchecked = connectionFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'false', KASCADE_ALLOW_INSECURE: 'true' });
  assert.equal(describeKafkaConnection(unchecked), "KAFKA_BROKERS=127.0.0.1:9092 (SSL, Node's built-in CAs, certificates NOT verified)");
});
