import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parseJavaMajor } from '../../scripts/stack/java.js';
import { brokerProperties, newClusterId } from '../../scripts/stack/kafka-service.js';
import { processMarker } from '../../scripts/stack/processes.js';

test('Java major versions are read from `java -version` output of old and new JDKs', () => {
  assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15'), 17);
  assert.equal(parseJavaMajor('openjdk version "25.0.1" 2025-10-21 LTS'), 25);
  assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
  assert.equal(parseJavaMajor('java version "1.8.0_402"'), 8);
  assert.equal(parseJavaMajor('bash: java: command not found'), undefined);
});

test('the single-node broker config binds to loopback and lets one broker hold internal topics', () => {
  const lines = new Set(brokerProperties('/data/kafka').split('\n'));
  for (const expected of [
    'process.roles=broker,controller',
    'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
    'advertised.listeners=PLAINTEXT://127.0.0.1:9092',
    'log.dirs=/data/kafka',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
  ]) {
    assert.ok(lines.has(expected), expected);
  }
});

test('cluster ids look like Kafka Uuids: 22 base64url characters, never a leading dash', () => {
  const ids = new Set(Array.from({ length: 200 }, () => newClusterId()));
  assert.equal(ids.size, 200);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
});

test('the process marker ties a process to one stack folder and one service', () => {
  assert.equal(processMarker('/work/.stack', 'kafka'), '-Dkascade.stack=/work/.stack#kafka');
  assert.notEqual(processMarker('/a', 'kafka'), processMarker('/b', 'kafka'));
});

test('stack reset deletes the stored data and logs but keeps the downloaded jars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kascade-stack-'));
  try {
    for (const file of ['data/kafka/requests-0/00000000000000000000.log', 'data/schema-registry/registry.mv.db', 'logs/kafka.log', 'cache/kafka/kafka.jar']) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), 'x'.repeat(1024));
    }
    const reset = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', 'reset'], { env: { ...process.env, KASCADE_STACK_DIR: dir }, encoding: 'utf8' });
    assert.equal(reset.status, 0, reset.stderr);
    assert.equal(existsSync(join(dir, 'data')), false);
    assert.equal(existsSync(join(dir, 'logs')), false);
    assert.equal(existsSync(join(dir, 'cache/kafka/kafka.jar')), true);
    assert.match(reset.stderr, /deleted .*data \(0 MiB\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
