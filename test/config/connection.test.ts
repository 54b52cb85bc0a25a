import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionFromEnv, DEFAULT_SCHEMA_REGISTRY_URL } from '../../src/config/connection.js';
import { redactUrl } from '../../src/config/redact-url.js';
import { ErrorCode, isKascadeError } from '../../src/errors.js';

test('defaults point at the local stack', () => {
  const connection = connectionFromEnv({});
  assert.deepEqual(connection.brokers, ['127.0.0.1:9092']);
  assert.equal(connection.schemaRegistryUrl, DEFAULT_SCHEMA_REGISTRY_URL);
  assert.equal(connection.schemaRegistryAuth, undefined);
});

test('empty variables count as unset', () => {
  assert.deepEqual(connectionFromEnv({ KAFKA_BROKERS: '  ', SCHEMA_REGISTRY_URL: '' }), connectionFromEnv({}));
});

test('KAFKA_BROKERS takes a comma-separated list of host:port, IPv6 in brackets', () => {
  const connection = connectionFromEnv({ KAFKA_BROKERS: 'kafka-1:9092, kafka-2.internal:19092,[::1]:9092' });
  assert.deepEqual(connection.brokers, ['kafka-1:9092', 'kafka-2.internal:19092', '[::1]:9092']);
});

test('a malformed broker entry is rejected naming the variable and the entry', () => {
  for (const [value, entry] of [
    ['kafka-1', 'entry 1 "kafka-1"'],
    ['a:9092,b:99999', 'entry 2 "b:99999"'],
    ['a:9092,,b:9092', 'entry 2 ""'],
    ['http://a:9092', 'entry 1 "http://a:9092"'],
  ] as const) {
    assert.throws(
      () => connectionFromEnv({ KAFKA_BROKERS: value }),
      (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && error.message.startsWith(`KAFKA_BROKERS: ${entry} is not host:port`),
      value,
    );
  }
});

test('credentials in SCHEMA_REGISTRY_URL move to auth and out of the URL', () => {
  const connection = connectionFromEnv({ SCHEMA_REGISTRY_URL: 'https://svc%40corp:s3cr%2Ft@registry.example:8081/apis/ccompat/v7/' });
  assert.equal(connection.schemaRegistryUrl, 'https://registry.example:8081/apis/ccompat/v7');
  assert.deepEqual(connection.schemaRegistryAuth, { username: 'svc@corp', password: 's3cr/t' });
});

test('a bad SCHEMA_REGISTRY_URL is rejected without echoing its secret', () => {
  assert.throws(
    () => connectionFromEnv({ SCHEMA_REGISTRY_URL: 'user:hunter2@registry:8081' }),
    (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && !error.message.includes('hunter2') && error.message.startsWith('SCHEMA_REGISTRY_URL:'),
  );
  assert.throws(
    () => connectionFromEnv({ SCHEMA_REGISTRY_URL: 'ftp://user:hunter2@registry:8081' }),
    (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && !error.message.includes('hunter2') && error.message.includes('ftp:'),
  );
});

test('the settings are frozen', () => {
  const connection = connectionFromEnv({});
  assert.ok(Object.isFrozen(connection) && Object.isFrozen(connection.brokers));
});

test('redactUrl hides user and password and keeps the rest', () => {
  assert.equal(redactUrl('https://me:pw@host:8081/path'), 'https://***@host:8081/path');
  assert.equal(redactUrl('http://host:8081/'), 'http://host:8081');
  assert.equal(redactUrl('not a url'), '<unparseable url>');
});
