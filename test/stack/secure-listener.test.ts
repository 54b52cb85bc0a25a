import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { test } from 'node:test';
import { connectionFromEnv } from '../../src/config/connection.js';
import { brokerProperties } from '../../scripts/stack/kafka-service.js';
import { alterScramCredentialsRequest, parseAlterScramCredentialsResponse } from '../../scripts/stack/scram-users.js';
import { secureClientEnv, type SecureListener } from '../../scripts/stack/secure-listener.js';

test('with a secure port the broker gets a SASL_SSL listener for SCRAM-SHA-256/512; PLAINTEXT stays the inter-broker listener', () => {
  const secure = { port: 9094, keystoreFile: '/s/tls/broker.p12', keystorePassword: 'store-pw' };
  const lines = new Set(brokerProperties('/data/kafka', { port: 9092, controllerPort: 9093 }, secure).split('\n'));
  for (const expected of [
    'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094',
    'advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
    'listener.name.sasl_ssl.ssl.keystore.location=/s/tls/broker.p12',
  ]) {
    assert.ok(lines.has(expected), expected);
  }
  const plain = brokerProperties('/data/kafka');
  assert.doesNotMatch(plain, /SASL|ssl/);
});

test('AlterUserScramCredentials v0: header v2, no deletions, one upsertion with the salted password, flexible encoding', () => {
  const salt = Buffer.alloc(32, 7);
  const request = alterScramCredentialsRequest([{ user: 'kascade', mechanism: 'SCRAM-SHA-512', password: 'pw' }], 5, () => salt);
  assert.equal(request.readInt32BE(0), request.length - 4, 'size prefix');
  assert.equal(request.readInt16BE(4), 51, 'api key');
  assert.equal(request.readInt16BE(6), 0, 'api version');
  assert.equal(request.readInt32BE(8), 5, 'correlation id');
  assert.equal(request.readInt16BE(12), 'kascade-stack'.length);
  let at = 14 + 'kascade-stack'.length;
  assert.deepEqual([...request.subarray(at, at + 3)], [0, 1, 2], 'header tags, no deletions, one upsertion');
  at += 3;
  assert.equal(request[at], 'kascade'.length + 1);
  assert.equal(request.toString('utf8', at + 1, at + 8), 'kascade');
  at += 8;
  assert.equal(request[at], 2, 'mechanism SCRAM-SHA-512');
  assert.equal(request.readInt32BE(at + 1), 4096, 'iterations');
  at += 5;
  assert.equal(request[at], 33, 'salt length + 1');
  assert.deepEqual(request.subarray(at + 1, at + 33), salt);
  at += 33;
  assert.equal(request[at], 65, 'salted password length + 1 (SHA-512)');
  assert.deepEqual(request.subarray(at + 1, at + 65), pbkdf2Sync('pw', salt, 4096, 64, 'sha512'));
  at += 65;
  assert.deepEqual([...request.subarray(at)], [0, 0], 'upsertion tags, request tags');
  assert.ok(!request.includes(Buffer.from('pw\u0000')) && !request.toString('latin1').includes('"pw"'));
});

test('the response gives each user its error code and message', () => {
  const user = Buffer.from('kascade');
  const message = Buffer.from('nope');
  const body = Buffer.concat([
    Buffer.from([0, 0, 0, 9, 0]),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from([2, user.length + 1]),
    user,
    Buffer.from([0, 92, message.length + 1]),
    message,
    Buffer.from([0, 0]),
  ]);
  assert.deepEqual(parseAlterScramCredentialsResponse(body), { correlationId: 9, results: [{ user: 'kascade', errorCode: 92, errorMessage: 'nope' }] });
});

test('the listener file turns into the environment of a client that kascade accepts as secure', () => {
  const listener: SecureListener = {
    brokers: '127.0.0.1:9094',
    securityProtocol: 'SASL_SSL',
    mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'],
    username: 'kascade',
    password: 'generated',
    caFile: 'test/fixtures/tls/ca.pem',
    serverKeystore: { file: '/s/broker.p12', password: 'x' },
  };
  const connection = connectionFromEnv(secureClientEnv(listener, 'SCRAM-SHA-256'));
  assert.deepEqual(connection.brokers, ['127.0.0.1:9094']);
  assert.equal(connection.kafkaSecurity?.sasl?.mechanism, 'SCRAM-SHA-256');
  assert.deepEqual(connection.warnings, []);
});
