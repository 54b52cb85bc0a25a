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
  });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`^FAIL kafka +KAFKA_BROKERS=127\\.0\\.0\\.1:${kafkaPort}: no broker answered`, 'm'));
  assert.match(result.stdout, new RegExp(`^FAIL schema-registry +SCHEMA_REGISTRY_URL=http://127\\.0\\.0\\.1:${registryPort}: `, 'm'));
  assert.doesNotMatch(result.stdout + result.stderr, /pa55word/);
});
