import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { connectionFromEnv, type ConnectionSettings } from '../src/config/connection.js';
import { ErrorCode, isKascadeError } from '../src/errors.js';
import { createKafka, createProducer } from '../src/kafka/kafkajs/client.js';
import { kafkaProblem } from '../src/kafka/admin/probe.js';
import { HttpSchemaRegistry } from '../src/serde/http-schema-registry.js';
import { kafkaService } from '../scripts/stack/kafka-service.js';
import { shown, STACK_DIR, stateDirs } from '../scripts/stack/paths.js';
import { readSecureListener, secureClientEnv, secureListenerFile, type SecureListener } from '../scripts/stack/secure-listener.js';
import type { ScramMechanism } from '../scripts/stack/scram-users.js';
import { collect, connection as plainConnection, createTopic, uniqueName } from './helpers/kafka.js';
import { decodeAvro } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

/**
 * Secure connections against the real stack: the broker's SASL_SSL listener with SCRAM users
 * (scripts/stack/kafka-service.ts), and the real registry behind an authenticating https proxy
 * (Apicurio enforces basic auth only through an OIDC server, which the stack does not run).
 */
const TOPOLOGY = 'integration-tests/fixtures/secure-pipeline.yaml';
const LISTENER_FILE = secureListenerFile(STACK_DIR, kafkaService.name);

function secureListener(): SecureListener {
  const listener = readSecureListener(LISTENER_FILE);
  if (listener === undefined) {
    throw new Error(
      `the local stack's broker has no SASL_SSL listener (no ${shown(LISTENER_FILE)}): it was started before the listener existed; ` +
        'restart the stack with `npm run stack:down && npm run stack:up`',
    );
  }
  return listener;
}

/** A copy of `env` without the named variables. */
function without(env: Readonly<Record<string, string>>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));
}

function secureKafka(listener: SecureListener, mechanism: ScramMechanism, name: string): Kafka {
  return createKafka(connectionFromEnv(secureClientEnv(listener, mechanism)), { clientId: `kascade-test-${name}`, logLevel: 'nothing', connectionTimeoutMs: 5000 });
}

/** An https proxy in front of the real registry that passes only requests with the right basic-auth header. */
class AuthenticatingRegistryProxy {
  readonly seen: Array<{ readonly method: string; readonly path: string; readonly authorized: boolean }> = [];
  readonly username = 'registry-user';
  readonly password = `reg-${randomBytes(12).toString('base64url')}`;
  url = '';
  #server: Server | undefined;

  async start(listener: SecureListener, upstream: string): Promise<void> {
    const target = new URL(upstream);
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    // The broker's own certificate (127.0.0.1, signed by the stack's CA) serves here too.
    const server = createServer({ pfx: readFileSync(listener.serverKeystore.file), passphrase: listener.serverKeystore.password }, (incoming, answer) => {
      const authorized = incoming.headers.authorization === expected;
      this.seen.push({ method: incoming.method ?? '', path: incoming.url ?? '', authorized });
      if (!authorized) {
        incoming.resume();
        answer.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry"' });
        answer.end(JSON.stringify({ message: 'Unauthorized', error_code: 401 }));
        return;
      }
      const headers = { ...incoming.headers };
      delete headers.authorization;
      delete headers.host;
      const forward = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers }, (upstreamAnswer) => {
        answer.writeHead(upstreamAnswer.statusCode ?? 502, upstreamAnswer.headers);
        upstreamAnswer.pipe(answer);
      });
      forward.on('error', () => answer.writeHead(502).end());
      incoming.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`;
  }

  /** The environment of a client that goes through this proxy. */
  env(listener: SecureListener): Record<string, string> {
    return { SCHEMA_REGISTRY_URL: this.url, SCHEMA_REGISTRY_USERNAME: this.username, SCHEMA_REGISTRY_PASSWORD: this.password, SCHEMA_REGISTRY_CA_LOCATION: listener.caFile };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const proxy = new AuthenticatingRegistryProxy();
let listener: SecureListener;

before(async () => {
  listener = secureListener();
  await proxy.start(listener, plainConnection.schemaRegistryUrl);
});

after(() => proxy.stop());

function kascade(args: readonly string[], env: Record<string, string>): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`records go to the broker and back over SASL_SSL with ${mechanism}, trusting the stack's CA`, async () => {
    const kafka = secureKafka(listener, mechanism, mechanism);
    const topic = uniqueName(`secure-${mechanism.toLowerCase()}`);
    await createTopic(kafka, topic, 2);
    const producer = createProducer(kafka);
    await producer.connect();
    const values = ['one', 'two', 'three'].map((word) => `${word} over ${mechanism}`);
    try {
      await producer.send({ topic, messages: values.map((value, index) => ({ key: `k${index}`, value })) });
    } finally {
      await producer.disconnect();
    }
    const collector = await collect(kafka, topic);
    try {
      await collector.waitForCount(values.length);
    } finally {
      await collector.stop();
    }
    assert.deepEqual(collector.records.map((record) => record.value?.toString()).sort(), [...values].sort());
  });
}

test("the SCRAM user's password is in none of the stack's logs", () => {
  const logs = stateDirs(STACK_DIR).logs;
  const files = readdirSync(logs).filter((name) => name.endsWith('.log'));
  assert.ok(files.length > 0, `no logs in ${logs}`);
  // As bytes: a long-running stack's log can outgrow a string.
  for (const name of files) assert.ok(!readFileSync(join(logs, name)).includes(Buffer.from(listener.password)), `${name} holds the password`);
});

test('a client that does not trust the CA fails the TLS handshake, and doctor says so', async () => {
  const systemCas = without(secureClientEnv(listener, 'SCRAM-SHA-256'), 'KAFKA_SSL_CA_LOCATION');
  for (const env of [systemCas, { ...systemCas, KAFKA_SSL_CA_LOCATION: 'test/fixtures/tls/other-ca.pem' }]) {
    assert.match(
      (await kafkaProblem(connectionFromEnv(env), 5000)) ?? 'connected',
      /^TLS handshake failed \(check KAFKA_SECURITY_PROTOCOL and KAFKA_SSL_CA_LOCATION\): .*self-signed certificate in certificate chain/,
    );
  }
  const doctor = kascade(['doctor'], systemCas);
  assert.equal(doctor.code, 1, doctor.output);
  assert.match(doctor.output, new RegExp(`^FAIL kafka +KAFKA_BROKERS=${listener.brokers} \\(SASL_SSL, SCRAM-SHA-256 as "kascade", Node's built-in CAs\\): TLS handshake failed`, 'm'));
  assert.ok(!doctor.output.includes(listener.password));
});

test('a wrong password fails with an authentication error that holds neither password', async () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const wrong = `wrong-${randomUUID()}`;
    const problem = await kafkaProblem(connectionFromEnv({ ...secureClientEnv(listener, mechanism), KAFKA_SASL_PASSWORD: wrong }), 5000);
    assert.match(problem ?? 'connected', new RegExp(`^SASL authentication failed \\(check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD\\): .*invalid credentials with SASL mechanism ${mechanism}`));
    assert.ok(!(problem ?? '').includes(wrong) && !(problem ?? '').includes(listener.password));
  }
  // kascade run says it in one line and exits 1: no stack trace, no password.
  const wrong = `wrong-${randomUUID()}`;
  const stage = StageProcess.launch([TOPOLOGY, '--stage', 'slim'], { ...secureClientEnv(listener, 'SCRAM-SHA-512'), KAFKA_SASL_PASSWORD: wrong, KASCADE_SECURE_RUN: `sec${randomUUID().slice(0, 8)}` });
  assert.equal((await stage.exited).code, 1, stage.tail());
  const said = stage.output.filter((line) => line.startsWith('kascade: '));
  assert.deepEqual(
    said.map((line) => line.replace(/\): .*/, ')')),
    [`kascade: cannot use Kafka at ${listener.brokers}: SASL authentication failed (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)`],
  );
  assert.match(said[0] ?? '', /invalid credentials with SASL mechanism SCRAM-SHA-512$/);
  assert.ok(!stage.output.some((line) => line.includes(wrong) || line.includes('    at ')), stage.tail());
});

test('kascade run processes records end to end over SCRAM/TLS and an authenticated https registry; its logs hold no password', async () => {
  const run = `sec${randomUUID().slice(0, 8)}`;
  const env = { ...secureClientEnv(listener, 'SCRAM-SHA-512'), ...proxy.env(listener), KASCADE_SECURE_RUN: run };
  const kafka = secureKafka(listener, 'SCRAM-SHA-512', 'run');
  await createTopic(kafka, `${run}.orders`, 2);
  const orders = Array.from({ length: 20 }, (_, index) => ({ id: `o-${index}`, amount: index * 2.5, note: 'dropped by select' }));
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic: `${run}.orders`, messages: orders.map((order) => ({ key: order.id, value: JSON.stringify(order) })) });
  } finally {
    await producer.disconnect();
  }
  const seenBefore = proxy.seen.length;
  const stage = await StageProcess.start([TOPOLOGY, '--stage', 'slim'], env, 1);
  const output = await collect(kafka, `${run}.slim`);
  try {
    await output.waitForCount(orders.length, 60_000);
  } finally {
    await output.stop();
    await stage.kill('SIGTERM');
  }
  const slim = (await decodeAvro<{ id: string; amount: number }>(output.records)).map(({ id, amount }) => ({ id, amount }));
  assert.deepEqual(
    slim.sort((a, b) => a.id.localeCompare(b.id)),
    orders.map(({ id, amount }) => ({ id, amount })).sort((a, b) => a.id.localeCompare(b.id)),
  );
  const registryCalls = proxy.seen.slice(seenBefore);
  assert.ok(registryCalls.length > 0 && registryCalls.every((call) => call.authorized), JSON.stringify(registryCalls));
  const logs = stage.output.join('\n');
  for (const secret of [listener.password, proxy.password]) assert.ok(!logs.includes(secret), 'a password is in the stage logs');
  assert.match(logs, /"msg":"stage running"/);
});

test('the registry behind basic auth and a private CA: registrations and lookups pass with the credentials from the environment', async () => {
  const registry = new HttpSchemaRegistry(connectionFromEnv(proxy.env(listener)));
  const subject = `${uniqueName('secure-registry')}-value`;
  const schema = JSON.stringify({ type: 'record', name: 'Probe', fields: [{ name: 'x', type: 'long' }] });
  const seenBefore = proxy.seen.length;
  const id = await registry.register(subject, schema);
  const fresh = new HttpSchemaRegistry(connectionFromEnv(proxy.env(listener)));
  assert.deepEqual(JSON.parse(await fresh.schemaById(id)), JSON.parse(schema));
  const calls = proxy.seen.slice(seenBefore);
  assert.deepEqual(
    calls.map((call) => [call.method, call.path.replace(/\/\d+$/, '/ID'), call.authorized]),
    [
      ['POST', `${new URL(proxy.url).pathname}/subjects/${encodeURIComponent(subject)}/versions`, true],
      ['GET', `${new URL(proxy.url).pathname}/schemas/ids/ID`, true],
    ],
  );
});

test('the registry refuses clients without credentials, with a wrong password or without the CA, and the messages say what to set', async () => {
  const anonymous = without(proxy.env(listener), 'SCHEMA_REGISTRY_USERNAME', 'SCHEMA_REGISTRY_PASSWORD');
  const wrong = `wrong-${randomUUID()}`;
  const untrusting = without(proxy.env(listener), 'SCHEMA_REGISTRY_CA_LOCATION');
  const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
    [anonymous, /answered HTTP 401 to POST .* \(no credentials are configured: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD\): Unauthorized/],
    [{ ...proxy.env(listener), SCHEMA_REGISTRY_PASSWORD: wrong }, /answered HTTP 401 to POST .* \(check SCHEMA_REGISTRY_USERNAME \/ SCHEMA_REGISTRY_PASSWORD, or the credentials in SCHEMA_REGISTRY_URL\)/],
    [untrusting, /did not answer POST .*: TLS: the registry's certificate is not trusted \(.*\); set SCHEMA_REGISTRY_CA_LOCATION to the CA that signed it$/],
  ];
  for (const [env, pattern] of cases) {
    const registry = new HttpSchemaRegistry(connectionFromEnv(env));
    await assert.rejects(registry.register(`${uniqueName('secure-refused')}-value`, '"string"'), (error: unknown) => {
      assert.ok(isKascadeError(error, ErrorCode.RegistryUnreachable), String(error));
      assert.match(error.message, pattern);
      for (const secret of [proxy.password, wrong, Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')]) assert.ok(!error.message.includes(secret), error.message);
      return true;
    });
  }
});

test('kascade run refuses insecure settings with exit code 2 and a message naming them, without the password', async () => {
  const run = `sec${randomUUID().slice(0, 8)}`;
  const plainInClear = { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'kascade', KAFKA_SASL_PASSWORD: listener.password, KASCADE_SECURE_RUN: run };
  const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
    [plainInClear, /KAFKA_SASL_MECHANISM=PLAIN with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the password unencrypted \(use SASL_SSL\); refused: fix it, or set KASCADE_ALLOW_INSECURE=true/],
    [{ ...plainInClear, KASCADE_ALLOW_INSECURE: 'yes' }, /KASCADE_ALLOW_INSECURE: "yes" is neither true nor false/],
    [
      { ...secureClientEnv(listener, 'SCRAM-SHA-256'), KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'false', KASCADE_SECURE_RUN: run },
      /KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION=false: the brokers' certificates are not checked.*; refused/,
    ],
    [{ SCHEMA_REGISTRY_URL: `http://svc:${listener.password}@127.0.0.1:8081/apis/ccompat/v7`, KASCADE_SECURE_RUN: run }, /schema registry credentials \(the user info of SCHEMA_REGISTRY_URL\) would be sent unencrypted/],
  ];
  for (const [env, pattern] of cases) {
    const stage = StageProcess.launch([TOPOLOGY], env);
    const exit = await stage.exited;
    const output = stage.output.join('\n');
    assert.equal(exit.code, 2, output);
    assert.match(output, pattern);
    assert.ok(!output.includes(listener.password), output);
  }
});

test('with KASCADE_ALLOW_INSECURE=true an insecure choice runs, with one warning at start', async () => {
  const run = `sec${randomUUID().slice(0, 8)}`;
  // No CA and no certificate check: the stack's certificate is accepted unverified.
  const unverified = without(secureClientEnv(listener, 'SCRAM-SHA-256'), 'KAFKA_SSL_CA_LOCATION');
  const env: Record<string, string> = { ...unverified, KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION: 'false', KASCADE_ALLOW_INSECURE: 'true', KASCADE_SECURE_RUN: run };
  const settings: ConnectionSettings = connectionFromEnv(secureClientEnv(listener, 'SCRAM-SHA-256'));
  await createTopic(createKafka(settings, { clientId: 'kascade-test-insecure', logLevel: 'nothing' }), `${run}.orders`, 2);
  const stage = await StageProcess.start([TOPOLOGY], env, 1);
  await stage.kill('SIGTERM');
  const warnings = stage.output.filter((line) => line.includes('insecure connection setting accepted'));
  assert.equal(warnings.length, 1, stage.tail(40));
  assert.match(warnings[0] ?? '', /"level":"warn","msg":"insecure connection setting accepted \(KASCADE_ALLOW_INSECURE=true\): KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION=false/);
  assert.ok(!stage.output.join('\n').includes(listener.password));
});
