import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKafkaClientCallbackThrow } from '../../src/kafka/client-callback-guard.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'guard', 'throw-from-callback.ts');

function runFixture(mode: 'library' | 'own'): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, mode], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a throw whose top frame is @platformatic/kafka is the client failing inside its own callback', () => {
  const inLibrary = new TypeError('x');
  inLibrary.stack = 'TypeError: x\n    at #get (file:///srv/node_modules/@platformatic/kafka/dist/network/connection-pool.js:98:31)';
  const calledByLibrary = new Error('y');
  calledByLibrary.stack = 'Error: y\n    at handler (file:///srv/dist/kafka/stage.js:1:1)\n    at file:///srv/node_modules/@platformatic/kafka/dist/clients/base/base.js:292:21';
  assert.equal(isKafkaClientCallbackThrow(inLibrary), true);
  assert.equal(isKafkaClientCallbackThrow(calledByLibrary), false, 'kascade code called by the library is not the library failing');
  assert.equal(isKafkaClientCallbackThrow('a string'), false);
});

test('the guard hands a throw from inside the client to the restart and keeps the process alive', () => {
  const result = runFixture('library');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^restart: Cannot read properties of undefined \(reading 'host'\)$/m);
});

test('any other uncaught exception still ends the process with code 1 and its stack', () => {
  const result = runFixture('own');
  assert.equal(result.status, 1);
  assert.doesNotMatch(result.stdout, /restart/);
  assert.match(result.stderr, /TypeError: Cannot read properties of undefined \(reading 'host'\)\n\s+at /);
});
