import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DEFAULT_KAFKA_BROKERS, DEFAULT_SCHEMA_REGISTRY_URL } from '../src/config/connection.js';
import { connection } from './helpers/kafka.js';

const usesLocalStack = connection.brokers.join(',') === DEFAULT_KAFKA_BROKERS && connection.schemaRegistryUrl === DEFAULT_SCHEMA_REGISTRY_URL;
const notLocal = usesLocalStack ? false : 'KAFKA_BROKERS / SCHEMA_REGISTRY_URL point away from the local stack';

function run(script: string, args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('stack:up with a running stack reuses it and starts nothing', { skip: notLocal }, () => {
  const result = run('scripts/stack.ts', ['up']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /kafka: .*reusing it/);
  assert.match(result.stderr, /schema-registry: .*reusing it/);
  assert.doesNotMatch(result.stderr, /starting|fetching/);
});

test('stack:status reports both services answering', { skip: notLocal }, () => {
  const result = run('scripts/stack.ts', ['status']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^kafka: .*answering at 127\.0\.0\.1:9092/m);
  assert.match(result.stdout, /^schema-registry: .*answering at http:\/\/127\.0\.0\.1:8081\/apis\/ccompat\/v7/m);
  assert.doesNotMatch(result.stdout, /NOT answering|stopped/);
});

test('kascade doctor finds the broker and the registry the tests use', () => {
  const result = run('src/cli/main.ts', ['doctor']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`^ok +kafka +KAFKA_BROKERS=${connection.brokers.join(',')}: answers$`, 'm'));
  assert.match(result.stdout, /^ok +schema-registry +SCHEMA_REGISTRY_URL=.*: answers$/m);
});
