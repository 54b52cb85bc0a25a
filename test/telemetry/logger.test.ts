import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLogger } from '../../src/telemetry/logger.js';
import { redactor, secretsInEnvironment } from '../../src/telemetry/redaction.js';

const ENV = {
  SCHEMA_REGISTRY_URL: 'https://reg-user:p%40ss-w0rd@registry.example:8081',
  KAFKA_SASL_PASSWORD: 'kafka-s3cret',
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer abc123token',
  KAFKA_BROKERS: 'broker:9092',
  PIN: '42',
};

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): { lines: Record<string, unknown>[]; logger: ReturnType<typeof jsonLogger> } {
  const lines: Record<string, unknown>[] = [];
  const logger = jsonLogger(level, { stage: 'score' }, (line) => lines.push(JSON.parse(line) as Record<string, unknown>), redactor(secretsInEnvironment(ENV)));
  return { lines, logger };
}

test('secrets of the environment are found: secret-named variables and URL passwords, not ordinary values', () => {
  const secrets = secretsInEnvironment(ENV);
  for (const secret of ['kafka-s3cret', 'authorization=Bearer abc123token', 'p%40ss-w0rd', 'p@ss-w0rd']) assert.ok(secrets.includes(secret), secret);
  assert.ok(!secrets.includes('broker:9092'));
  assert.ok(!secrets.includes('42'));
});

test('a log line never carries a secret: not in the message, a text field, a URL, or a field named like one', () => {
  const { lines, logger } = capture();
  logger.error('login failed with kafka-s3cret for abc123token', {
    topic: 'orders',
    partition: 2,
    offset: '17',
    error: 'GET https://reg-user:p@ss-w0rd@registry.example:8081/subjects failed (auth p@ss-w0rd)',
    url: 'http://someone:other-pass@host/x',
    password: 'plain',
    apiKey: 'k-123456',
  });
  const line = lines[0];
  assert.ok(line !== undefined);
  const text = JSON.stringify(line);
  for (const secret of ['kafka-s3cret', 'abc123token', 'p@ss-w0rd', 'other-pass', 'plain', 'k-123456', 'reg-user', 'someone']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.equal(line['msg'], 'login failed with *** for abc123token'.replace('abc123token', '***'));
  assert.equal(line['url'], 'http://***@host/x');
  assert.equal(line['password'], '***');
  // What an operator needs stays: where it happened.
  assert.deepEqual([line['level'], line['stage'], line['topic'], line['partition'], line['offset']], ['error', 'score', 'orders', 2, '17']);
});

test('the level filters lines', () => {
  const { lines, logger } = capture('warn');
  logger.info('dropped');
  logger.debug('dropped');
  logger.warn('kept');
  logger.error('kept too');
  assert.deepEqual(lines.map((line) => line['msg']), ['kept', 'kept too']);
});
