import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createServer } from 'node:tls';
import { connectionFromEnv } from '../../../src/config/connection.js';
import { createKafka, kafkaClientConfig } from '../../../src/kafka/kafkajs/client.js';

const TLS = 'test/fixtures/tls';
const OPTIONS = { clientId: 'test' } as const;

test('PLAINTEXT: kafkajs gets neither ssl nor sasl', () => {
  const config = kafkaClientConfig(connectionFromEnv({}), OPTIONS);
  assert.equal(config.ssl, undefined);
  assert.equal(config.sasl, undefined);
  assert.deepEqual(config.brokers, ['127.0.0.1:9092']);
});

test('SASL_SSL with SCRAM: kafkajs gets the CA, full verification and the mechanism in its own spelling', () => {
  for (const [mechanism, kafkajs] of [
    ['SCRAM-SHA-256', 'scram-sha-256'],
    ['SCRAM-SHA-512', 'scram-sha-512'],
    ['PLAIN', 'plain'],
  ] as const) {
    const connection = connectionFromEnv({
      KAFKA_BROKERS: 'kafka:9094',
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'pw with spaces ',
      KAFKA_SSL_CA_LOCATION: `${TLS}/ca.pem`,
    });
    const config = kafkaClientConfig(connection, OPTIONS);
    assert.deepEqual(config.sasl, { mechanism: kafkajs, username: 'svc', password: 'pw with spaces ' });
    assert.ok(typeof config.ssl === 'object');
    assert.equal(config.ssl.rejectUnauthorized, true);
    assert.equal(config.ssl.checkServerIdentity, undefined, 'host names are checked by Node by default');
    assert.deepEqual(config.ssl.ca, [connection.kafkaSecurity?.tls?.ca]);
  }
});

test('SSL without a CA leaves the built-in CAs; SASL_PLAINTEXT has no ssl', () => {
  assert.deepEqual(kafkaClientConfig(connectionFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SSL' }), OPTIONS).ssl, { rejectUnauthorized: true });
  const scramInClear = connectionFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' });
  assert.equal(kafkaClientConfig(scramInClear, OPTIONS).ssl, undefined);
});

test('mutual TLS passes the certificate, the key and its passphrase', () => {
  const config = kafkaClientConfig(
    connectionFromEnv({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERTIFICATE_LOCATION: `${TLS}/client.pem`,
      KAFKA_SSL_KEY_LOCATION: `${TLS}/client.key`,
      KAFKA_SSL_KEY_PASSWORD: 'client-key-pw',
    }),
    OPTIONS,
  );
  assert.ok(typeof config.ssl === 'object');
  assert.ok(typeof config.ssl.cert === 'string' && typeof config.ssl.key === 'string');
  assert.match(config.ssl.cert, /BEGIN CERTIFICATE/);
  assert.match(config.ssl.key, /BEGIN ENCRYPTED PRIVATE KEY/);
  assert.equal(config.ssl.passphrase, 'client-key-pw');
});

test('the insecure switches reach kafkajs only as chosen', () => {
  const allow = { KAFKA_SECURITY_PROTOCOL: 'SSL', KASCADE_ALLOW_INSECURE: 'true' };
  const unverified = kafkaClientConfig(connectionFromEnv({ ...allow, KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'false' }), OPTIONS);
  assert.ok(typeof unverified.ssl === 'object');
  assert.equal(unverified.ssl.rejectUnauthorized, false);
  const anyHost = kafkaClientConfig(connectionFromEnv({ ...allow, KAFKA_SSL_ENDPOINT_IDENTIFICATION: 'none' }), OPTIONS);
  assert.ok(typeof anyHost.ssl === 'object');
  assert.equal(anyHost.ssl.rejectUnauthorized, true);
  assert.equal(anyHost.ssl.checkServerIdentity?.('kafka', {} as never), undefined);
});

test('handshakes: kafkajs verifies the server against the CA and presents the client certificate to a server that requires one', async () => {
  // A TLS server that wants a client certificate from the test CA; it only records who connected.
  const peers: string[] = [];
  const server = createServer(
    { cert: readFileSync(`${TLS}/server.pem`), key: readFileSync(`${TLS}/server.key`), ca: readFileSync(`${TLS}/ca.pem`), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      const subject = socket.getPeerCertificate().subject as Record<string, string> | undefined;
      peers.push(subject?.['CN'] ?? '?');
      socket.destroy();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const broker = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const attempt = async (env: Record<string, string>): Promise<void> => {
    const admin = createKafka(connectionFromEnv({ KAFKA_BROKERS: broker, KAFKA_SECURITY_PROTOCOL: 'SSL', ...env }), { clientId: 'mtls', logLevel: 'nothing', retries: 0 }).admin();
    // Not a broker: the connection ends after the handshake, which is all this looks at.
    await admin.connect().catch(() => undefined);
    await admin.disconnect();
  };
  try {
    const mutual = { KAFKA_SSL_CA_LOCATION: `${TLS}/ca.pem`, KAFKA_SSL_CERTIFICATE_LOCATION: `${TLS}/client.pem`, KAFKA_SSL_KEY_LOCATION: `${TLS}/client.key`, KAFKA_SSL_KEY_PASSWORD: 'client-key-pw' };
    await attempt(mutual);
    assert.deepEqual(peers, ['kascade-test-client']);
    await attempt({ KAFKA_SSL_CA_LOCATION: `${TLS}/ca.pem` });
    await attempt({ ...mutual, KAFKA_SSL_CA_LOCATION: `${TLS}/other-ca.pem` });
    assert.deepEqual(peers, ['kascade-test-client'], 'no handshake without a client certificate, nor with a server the CA did not sign');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
