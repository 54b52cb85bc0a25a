import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionFromEnv } from '../../src/config/connection.js';
import { ErrorCode, isKascadeError } from '../../src/errors.js';

const PASSWORD = 'in-the-clear-pw';
const PLAIN_IN_CLEAR = { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: PASSWORD };
const NO_CERTIFICATE_CHECK = { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'false' };
const NO_HOSTNAME_CHECK = { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_ENDPOINT_IDENTIFICATION: 'none' };
const REGISTRY_CREDENTIALS_OVER_HTTP = { SCHEMA_REGISTRY_URL: 'http://registry:8081', SCHEMA_REGISTRY_USERNAME: 'svc', SCHEMA_REGISTRY_PASSWORD: PASSWORD };
const URL_CREDENTIALS_OVER_HTTP = { SCHEMA_REGISTRY_URL: `http://svc:${PASSWORD}@registry:8081` };

const CHOICES: ReadonlyArray<readonly [string, Record<string, string>, RegExp]> = [
  ['SASL PLAIN without TLS', PLAIN_IN_CLEAR, /^KAFKA_SASL_MECHANISM=PLAIN with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the password unencrypted \(use SASL_SSL\)/],
  ['certificate verification off', NO_CERTIFICATE_CHECK, /^KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION=false: the brokers' certificates are not checked/],
  ['host name verification off', NO_HOSTNAME_CHECK, /^KAFKA_SSL_ENDPOINT_IDENTIFICATION=none: the brokers' certificates are not checked against their host names/],
  [
    'registry credentials over http',
    REGISTRY_CREDENTIALS_OVER_HTTP,
    /^schema registry credentials \(SCHEMA_REGISTRY_USERNAME \/ SCHEMA_REGISTRY_PASSWORD\) would be sent unencrypted: SCHEMA_REGISTRY_URL is http:\/\//,
  ],
  ['registry URL credentials over http', URL_CREDENTIALS_OVER_HTTP, /^schema registry credentials \(the user info of SCHEMA_REGISTRY_URL\) would be sent unencrypted/],
];

for (const [name, env, pattern] of CHOICES) {
  test(`${name} is refused without KASCADE_ALLOW_INSECURE=true, saying how to accept it`, () => {
    assert.throws(
      () => connectionFromEnv(env),
      (error: unknown) => {
        assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), String(error));
        assert.match(error.message, pattern);
        assert.match(error.message, /; refused: fix it, or set KASCADE_ALLOW_INSECURE=true to accept the risk$/);
        assert.ok(!error.message.includes(PASSWORD), error.message);
        return true;
      },
    );
  });

  test(`${name} is accepted with KASCADE_ALLOW_INSECURE=true, with one warning for it`, () => {
    const connection = connectionFromEnv({ ...env, KASCADE_ALLOW_INSECURE: 'true' });
    assert.equal(connection.warnings?.length, 1);
    const [warning] = connection.warnings ?? [];
    assert.match(warning ?? '', /^insecure connection setting accepted \(KASCADE_ALLOW_INSECURE=true\): /);
    assert.match((warning ?? '').replace(/^[^:]*\): /, ''), pattern);
    assert.ok(!(warning ?? '').includes(PASSWORD));
  });
}

test('each insecure choice is warned about once', () => {
  const connection = connectionFromEnv({ ...PLAIN_IN_CLEAR, ...REGISTRY_CREDENTIALS_OVER_HTTP, KASCADE_ALLOW_INSECURE: 'true' });
  assert.equal(connection.warnings?.length, 2);
});

test('certificate verification off is one choice: host names are then not checked either, without a second warning', () => {
  const connection = connectionFromEnv({ ...NO_CERTIFICATE_CHECK, KAFKA_SSL_ENDPOINT_IDENTIFICATION: 'none', KASCADE_ALLOW_INSECURE: 'true' });
  assert.equal(connection.warnings?.length, 1);
});

test('SCRAM without TLS is not refused: the password never crosses the wire', () => {
  const connection = connectionFromEnv({ ...PLAIN_IN_CLEAR, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' });
  assert.deepEqual(connection.warnings, []);
});

test('KASCADE_ALLOW_INSECURE takes exactly true or false; anything else is an error naming it', () => {
  for (const value of ['TRUE', '1', 'yes', ' true']) {
    assert.throws(
      () => connectionFromEnv({ KASCADE_ALLOW_INSECURE: value }),
      (error: unknown) =>
        isKascadeError(error, ErrorCode.ConfigInvalid) && error.message === `KASCADE_ALLOW_INSECURE: "${value}" is neither true nor false (exactly "true" accepts insecure connection settings)`,
      value,
    );
  }
  assert.deepEqual(connectionFromEnv({ KASCADE_ALLOW_INSECURE: 'false' }).warnings, []);
  assert.throws(() => connectionFromEnv({ ...PLAIN_IN_CLEAR, KASCADE_ALLOW_INSECURE: 'false' }), /refused/);
});
