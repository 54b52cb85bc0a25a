import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { connectionFromEnv } from '../../src/config/connection.js';
import { ErrorCode, isKascadeError } from '../../src/errors.js';

const TLS = 'test/fixtures/tls';
const PASSWORD = 'Sc4m-pa55word';
const KEY_PASSWORD = 'client-key-pw';
/** A line of base64 from each fixture file: none may show up in a message. */
const FILE_CONTENT = readdirSync(TLS)
  .filter((name) => name.endsWith('.pem') || name.endsWith('.key'))
  .map((name) => readFileSync(`${TLS}/${name}`, 'utf8').split('\n')[1] ?? '');
const SCRAM = { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: PASSWORD };

/** Asserts a ConfigInvalid whose message matches, and that no secret of the environment is in it. */
function refused(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(
    () => connectionFromEnv(env),
    (error: unknown) => {
      assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), String(error));
      assert.match(error.message, pattern);
      for (const secret of [PASSWORD, KEY_PASSWORD]) assert.ok(!error.message.includes(secret), `message holds a secret: ${error.message}`);
      for (const line of FILE_CONTENT) assert.ok(!error.message.includes(line), `message holds a file's content: ${error.message}`);
      return true;
    },
    JSON.stringify(env),
  );
}

test('PLAINTEXT is the default: no TLS, no SASL, nothing to warn about', () => {
  const connection = connectionFromEnv({});
  assert.deepEqual(connection.kafkaSecurity, { protocol: 'PLAINTEXT' });
  assert.deepEqual(connection.warnings, []);
});

test('SASL_SSL with SCRAM: mechanism, user and password, TLS with verification on and the CA read at start', () => {
  const connection = connectionFromEnv({ ...SCRAM, KAFKA_SSL_CA_LOCATION: `${TLS}/ca.pem` });
  const security = connection.kafkaSecurity;
  assert.equal(security?.protocol, 'SASL_SSL');
  assert.deepEqual(security.sasl, { mechanism: 'SCRAM-SHA-512', username: 'svc', password: PASSWORD });
  assert.equal(security.tls?.verifyCertificate, true);
  assert.equal(security.tls.verifyHostname, true);
  assert.equal(security.tls.caFile, `${TLS}/ca.pem`);
  assert.match(security.tls.ca ?? '', /^-----BEGIN CERTIFICATE-----/);
  assert.ok(Object.isFrozen(security) && Object.isFrozen(security.sasl) && Object.isFrozen(security.tls));
});

test('protocol and mechanism names are read case-insensitively, as librdkafka does', () => {
  const connection = connectionFromEnv({ ...SCRAM, KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_MECHANISM: 'scram-sha-256' });
  assert.equal(connection.kafkaSecurity?.protocol, 'SASL_SSL');
  assert.equal(connection.kafkaSecurity.sasl?.mechanism, 'SCRAM-SHA-256');
});

test('SSL without a CA trusts the built-in CAs; a client certificate with an encrypted key is checked with its password', () => {
  assert.deepEqual(connectionFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SSL' }).kafkaSecurity, { protocol: 'SSL', tls: { verifyCertificate: true, verifyHostname: true } });
  const mutual = connectionFromEnv({
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CERTIFICATE_LOCATION: `${TLS}/client.pem`,
    KAFKA_SSL_KEY_LOCATION: `${TLS}/client.key`,
    KAFKA_SSL_KEY_PASSWORD: KEY_PASSWORD,
  });
  const client = mutual.kafkaSecurity?.tls?.clientCertificate;
  assert.equal(client?.certFile, `${TLS}/client.pem`);
  assert.equal(client.keyPassword, KEY_PASSWORD);
  assert.match(client.key, /ENCRYPTED PRIVATE KEY/);
});

test('an unknown protocol or mechanism is refused, listing what is supported', () => {
  refused({ KAFKA_SECURITY_PROTOCOL: 'TLS' }, /^KAFKA_SECURITY_PROTOCOL: "TLS" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL$/);
  refused({ ...SCRAM, KAFKA_SASL_MECHANISM: 'GSSAPI' }, /^KAFKA_SASL_MECHANISM: "GSSAPI" is not supported \(expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512\)$/);
});

test('SASL settings without a SASL protocol are refused, naming each variable', () => {
  refused({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' }, /^KAFKA_SASL_MECHANISM is set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL \(SASL_SSL and SASL_PLAINTEXT do\)$/);
  refused(
    { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: PASSWORD },
    /KAFKA_SASL_USERNAME is set, but KAFKA_SECURITY_PROTOCOL=SSL does not use SASL.*\n.*KAFKA_SASL_PASSWORD is set, but KAFKA_SECURITY_PROTOCOL=SSL does not use SASL/,
  );
});

test('a SASL protocol needs a mechanism, a user name and a password', () => {
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: PASSWORD }, /^KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_MECHANISM \(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512\)$/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'PLAIN' }, /^KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD$/);
  refused({ ...SCRAM, KAFKA_SASL_PASSWORD: '' }, /^KAFKA_SASL_USERNAME is set without KAFKA_SASL_PASSWORD$/);
  refused({ ...SCRAM, KAFKA_SASL_USERNAME: ' ' }, /^KAFKA_SASL_PASSWORD is set without KAFKA_SASL_USERNAME$/);
});

test('TLS settings without a TLS protocol are refused', () => {
  refused({ KAFKA_SSL_CA_LOCATION: `${TLS}/ca.pem` }, /^KAFKA_SSL_CA_LOCATION is set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS \(SSL and SASL_SSL do\)$/);
  refused(
    { ...SCRAM, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'false' },
    /^KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION is set, but KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT does not use TLS/,
  );
});

test('files that cannot be read, or hold the wrong thing, are refused naming the variable and the path, never the content', () => {
  refused({ ...SCRAM, KAFKA_SSL_CA_LOCATION: '/nonexistent/ca.pem' }, /^KAFKA_SSL_CA_LOCATION: cannot read \/nonexistent\/ca\.pem \(ENOENT\)$/);
  refused({ ...SCRAM, KAFKA_SSL_CA_LOCATION: TLS }, /^KAFKA_SSL_CA_LOCATION: cannot read test\/fixtures\/tls \(EISDIR\)$/);
  refused({ ...SCRAM, KAFKA_SSL_CA_LOCATION: `${TLS}/server.key` }, /^KAFKA_SSL_CA_LOCATION: test\/fixtures\/tls\/server\.key holds no PEM certificate/);
  const mutual = { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERTIFICATE_LOCATION: `${TLS}/client.pem` };
  refused({ ...mutual, KAFKA_SSL_KEY_LOCATION: `${TLS}/client.pem` }, /^KAFKA_SSL_KEY_LOCATION: test\/fixtures\/tls\/client\.pem holds no PEM private key/);
  refused({ ...mutual, KAFKA_SSL_KEY_LOCATION: `${TLS}/client.key` }, /^KAFKA_SSL_KEY_LOCATION: the key in test\/fixtures\/tls\/client\.key is encrypted; set KAFKA_SSL_KEY_PASSWORD$/);
  refused({ ...mutual, KAFKA_SSL_KEY_LOCATION: `${TLS}/client.key`, KAFKA_SSL_KEY_PASSWORD: 'wrong-password' }, /^KAFKA_SSL_KEY_PASSWORD: does not decrypt the key in test\/fixtures\/tls\/client\.key$/);
});

test('mutual TLS needs the certificate and the key together; a key password needs a key', () => {
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERTIFICATE_LOCATION: `${TLS}/client.pem` }, /^KAFKA_SSL_CERTIFICATE_LOCATION is set without KAFKA_SSL_KEY_LOCATION \(mutual TLS needs both/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_LOCATION: `${TLS}/client.key` }, /^KAFKA_SSL_KEY_LOCATION is set without KAFKA_SSL_CERTIFICATE_LOCATION/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_PASSWORD: KEY_PASSWORD }, /^KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_LOCATION$/);
});

test('verification switches take exact words', () => {
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'no' }, /^KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: "no" is not one of true, false$/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_ENDPOINT_IDENTIFICATION: 'off' }, /^KAFKA_SSL_ENDPOINT_IDENTIFICATION: "off" is not one of https, none$/);
  const explicit = connectionFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_ENDPOINT_IDENTIFICATION: 'https', KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'true' });
  assert.deepEqual(explicit.warnings, []);
});

test('every problem is reported at once, one per line', () => {
  refused(
    { KAFKA_BROKERS: 'nohost', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'OAUTHBEARER', KAFKA_SASL_USERNAME: 'svc' },
    /^connection settings:\n {2}KAFKA_BROKERS: entry 1 "nohost" is not host:port.*\n {2}KAFKA_SASL_MECHANISM: "OAUTHBEARER" is not supported.*\n {2}KAFKA_SASL_USERNAME is set without KAFKA_SASL_PASSWORD$/,
  );
});
