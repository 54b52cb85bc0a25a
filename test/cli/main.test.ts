import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';

function kascade(args: readonly string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

test('--version prints the package version', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const result = kascade(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, `${manifest.version}\n`);
});

test('an unknown command or option exits 2 with the usage', () => {
  for (const args of [['frobnicate'], ['--frobnicate'], []]) {
    const result = kascade(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stdout + result.stderr, /Usage: kascade <command>/);
  }
  assert.match(kascade(['frobnicate']).stderr, /unknown command "frobnicate"/);
});

test('a malformed KAFKA_BROKERS is a configuration error (exit 2) naming the variable', () => {
  const result = kascade(['doctor'], { KAFKA_BROKERS: 'nohost' });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /KAFKA_BROKERS: entry 1 "nohost" is not host:port/);
});

test('doctor exits 1 and names the address when nothing answers there', async () => {
  const [kafkaPort, registryPort] = [await closedPort(), await closedPort()];
  const result = kascade(['doctor'], {
    KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    SCHEMA_REGISTRY_URL: `http://user:pa55word@127.0.0.1:${registryPort}`,
    // Credentials over http are refused without it (test/config/insecure-settings.test.ts).
    KASCADE_ALLOW_INSECURE: 'true',
  });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`^FAIL kafka +KAFKA_BROKERS=127\\.0\\.0\\.1:${kafkaPort}: no broker answered`, 'm'));
  assert.match(result.stdout, new RegExp(`^FAIL schema-registry +SCHEMA_REGISTRY_URL=http://127\\.0\\.0\\.1:${registryPort} \\(basic auth as "user"\\): `, 'm'));
  assert.match(result.stderr, /^kascade: warning: insecure connection setting accepted \(KASCADE_ALLOW_INSECURE=true\): schema registry credentials/m);
  assert.doesNotMatch(result.stdout + result.stderr, /pa55word/);
});

test('validate on a broken topology prints every problem with file and YAML path, and exits 1', () => {
  const file = 'test/fixtures/topologies/broken-shape.yaml';
  const result = kascade(['validate', file]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  const lines = result.stderr.replace(/^kascade: /, '').trimEnd().split('\n');
  assert.deepEqual(lines, [
    `${file}: name: must start with a letter or digit and hold only letters, digits, ".", "_", "-"`,
    `${file}: stages[0].type: unknown stage type "infer" (expected one of: transform, inference, router)`,
    `${file}: stages[1].input: required`,
    `${file}: stages[1].function: required`,
    `${file}: stages[1]: unknown key "fucntion" (did you mean "function"?)`,
    `${file}: stages[1]: unknown key "colour"`,
  ]);
});

test('validate accepts a good topology and checks transform names against --transforms modules', () => {
  const env = { KASCADE_RUN: 'cli' };
  const ok = kascade(['validate', 'integration-tests/fixtures/pipeline.yaml', '--transforms', 'integration-tests/fixtures/transforms.ts'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'ok: integration-tests/fixtures/pipeline.yaml: topology "it-cli", 2 stages, 5 topics\n');
  // The built-ins are known too: the fixture's `enrich` stage needs no module.
  const builtIn = kascade(['validate', 'test/fixtures/topologies/cascade.yaml', '--transforms', 'integration-tests/fixtures/transforms.ts']);
  assert.equal(builtIn.code, 0, builtIn.stderr);
  const missing = kascade(['validate', 'test/fixtures/topologies/unknown-transform.yaml', '--transforms', 'integration-tests/fixtures/transforms.ts']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /stages\[0\]\.function: unknown transform "price-in-eur" \(registered: argmax, collect, enrich, explode, explore, label, rename, score, select, softmax, threshold, top-k\)/);
});

test('validate warns, and still exits 0, when passthrough types depend on what the schema registry holds at start', () => {
  const file = 'integration-tests/fixtures/avro-passthrough.yaml';
  const result = kascade(['validate', file], { KASCADE_RUN: 'cli' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `ok: ${file}: topology "avro-passthrough-cli", 1 stages, 3 topics\n`);
  assert.match(
    result.stderr,
    /^kascade: warning: integration-tests\/fixtures\/avro-passthrough\.yaml: stages\[0\]\.passthrough: stage "score" copies passthrough fields from input topic "\$\{KASCADE_RUN\}\.requests", which is Avro without a schema: file; .* subject "\$\{KASCADE_RUN\}\.requests-value" .*Declare topics\["\$\{KASCADE_RUN\}\.requests"\]\.schema /,
  );
});

test('describe prints the topics and stages, sources first', () => {
  const result = kascade(['describe', 'integration-tests/fixtures/pipeline.yaml'], { KASCADE_RUN: 'cli' });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^ {2}cli\.requests -> score \(transform, group it-cli\.score, at-least-once, dlq cli\.requests\.dlq\) -> cli\.scored$/m);
  assert.ok(result.stdout.indexOf('-> score (') < result.stdout.indexOf('-> label ('));
});

test('every command has --help', () => {
  for (const command of ['validate', 'describe', 'topics', 'run', 'doctor']) {
    const result = kascade([command, '--help']);
    assert.equal(result.code, 0, command);
    assert.match(result.stdout, new RegExp(`^Usage: kascade ${command}`), command);
  }
});

test('run names an unknown stage and the stages there are', () => {
  const result = kascade(['run', 'integration-tests/fixtures/pipeline.yaml', '--stage', 'nope', '--transforms', 'integration-tests/fixtures/transforms.ts'], {
    KASCADE_RUN: 'cli',
    KAFKA_BROKERS: '127.0.0.1:1',
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /unknown stage "nope" \(stages: score, label\)/);
});
