import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { ReplayHeader, runReplay } from '../src/kafka/operator/replay.js';
import { createTopic, testAccess, testKafka, uniqueName, type ReceivedRecord } from './helpers/kafka.js';
import { readAll, waitForRecords } from './helpers/read-topic.js';

const kafka = testKafka('replay');
const HOUR = 3_600_000;

/** `count` records keyed over 40 keys, record i timestamped base + i seconds, with a header naming it. */
async function produceTimed(target: Kafka, topic: string, count: number, base: number, first = 0): Promise<void> {
  const producer = createProducer(target);
  await producer.connect();
  try {
    for (let start = first; start < first + count; start += 1000) {
      const end = Math.min(first + count, start + 1000);
      const messages = Array.from({ length: end - start }, (_, offset) => {
        const i = start + offset;
        return { key: `k-${i % 40}`, value: JSON.stringify({ i }), timestamp: String(base + i * 1000), headers: { origin: `record-${i}` } };
      });
      await producer.send({ topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

const indexOf = (record: ReceivedRecord): number => (JSON.parse(record.value?.toString() ?? '{}') as { i: number }).i;
const sourceId = (record: ReceivedRecord): string => `${record.headers[ReplayHeader.partition] ?? '?'}@${record.headers[ReplayHeader.offset] ?? '?'}`;

test('replay by timestamps copies exactly the records in [from, to), keys, headers, timestamps and partitions kept, while the source is being written', async () => {
  const source = uniqueName('replay-src');
  const destination = `${source}.copy`;
  await createTopic(kafka, source, 3);
  const base = Date.now() - 2 * HOUR;
  await produceTimed(kafka, source, 3000, base);
  const originals = new Map((await readAll(kafka, source)).map((record) => [indexOf(record), record]));

  // A producer keeps writing (current timestamps, after the range) while the replay runs.
  const control = { writing: true };
  const writer = (async () => {
    let next = 3000;
    while (control.writing) {
      await produceTimed(kafka, source, 200, Date.now() - next * 1000, next);
      next += 200;
    }
  })();
  let summary;
  try {
    summary = await runReplay(testAccess, {
      id: `${source}-1`,
      source,
      destination,
      from: { kind: 'timestamp', ms: base + 500 * 1000 }, // record 500 exactly: included
      to: { kind: 'timestamp', ms: base + 2500 * 1000 }, // record 2500 exactly: excluded
      keepPartitions: true,
      dryRun: false,
    });
  } finally {
    control.writing = false;
    await writer;
  }
  assert.equal(summary.copied, 2000);
  const copies = await readAll(kafka, destination);
  const copied = copies.map(indexOf).sort((a, b) => a - b);
  assert.deepEqual(copied, Array.from({ length: 2000 }, (_, k) => 500 + k), 'exactly records 500..2499');
  for (const copy of copies) {
    const original = originals.get(indexOf(copy));
    assert.ok(original);
    assert.equal(copy.key, original.key);
    assert.equal(copy.partition, original.partition, 'partition kept');
    assert.equal(copy.headers['origin'], original.headers['origin']);
    assert.equal(copy.headers[ReplayHeader.id], `${source}-1`);
    assert.equal(copy.headers[ReplayHeader.topic], source);
    assert.equal(sourceId(copy), `${original.partition}@${original.offset}`);
    // Every original header byte for byte, in order, then the provenance.
    assert.deepEqual(copy.headerList, [
      ...original.headerList,
      [ReplayHeader.id, Buffer.from(`${source}-1`)],
      [ReplayHeader.topic, Buffer.from(source)],
      [ReplayHeader.partition, Buffer.from(String(original.partition))],
      [ReplayHeader.offset, Buffer.from(original.offset)],
    ]);
  }

  // Running the finished replay again copies nothing; a dry run of another range counts exactly.
  assert.equal((await runReplay(testAccess, { id: `${source}-1`, source, destination, keepPartitions: true, dryRun: false })).copied, 0);
  const dry = await runReplay(testAccess, { id: `${source}-dry`, source, destination: `${source}.none`, from: { kind: 'timestamp', ms: base }, to: { kind: 'timestamp', ms: base + 10_000 }, keepPartitions: true, dryRun: true });
  assert.equal(dry.copied, 10);
  assert.equal((await readAll(kafka, destination)).length, 2000);
});

test('a replay killed mid-way and run again with the same id ends with every record once', async () => {
  const source = uniqueName('replay-kill');
  const destination = `${source}.copy`;
  await createTopic(kafka, source, 2);
  await createTopic(kafka, destination, 2); // so the test can watch it from the start
  await produceTimed(kafka, source, 12_000, Date.now() - 4 * HOUR);
  const args = ['--from-topic', source, '--to-topic', destination, '--id', `${source}-r`, '--rate', '3000', '--progress'];

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForRecords(kafka, destination, 3000);
  child.kill('SIGKILL');
  await exited;
  assert.match(stderr, /copying \[#*-*\] [\d,]+ \/ 12,000/, 'progress was shown');
  const before = (await readAll(kafka, destination)).length;
  assert.ok(before >= 3000 && before < 12_000, `killed part-way (${before} copied)`);

  const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args.filter((arg) => arg !== '--rate' && arg !== '3000')], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /resumed and copied [\d,]+ records/);
  const copies = await readAll(kafka, destination);
  const ids = copies.map(sourceId);
  assert.equal(new Set(ids).size, ids.length, 'no record copied twice');
  assert.equal(copies.length, 12_000, 'nothing missing');
});

test('a second replay with the same id while the first still runs fences it: every record once', async () => {
  const source = uniqueName('replay-twice');
  const destination = `${source}.copy`;
  await createTopic(kafka, source, 2);
  await createTopic(kafka, destination, 2);
  await produceTimed(kafka, source, 12_000, Date.now() - 4 * HOUR);
  const args = ['--from-topic', source, '--to-topic', destination, '--id', `${source}-r`];

  const first = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args, '--rate', '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const firstExit = new Promise<number | null>((resolve) => first.on('exit', resolve));
  let firstErrors = '';
  first.stderr.on('data', (chunk: Buffer) => (firstErrors += chunk.toString()));
  await waitForRecords(kafka, destination, 3000);
  const second = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args], { encoding: 'utf8' });
  assert.equal(second.status, 0, second.stderr);
  assert.notEqual(await firstExit, 0, `the first replay was fenced and failed:\n${firstErrors.slice(-2000)}`);
  const ids = (await readAll(kafka, destination)).map(sourceId);
  assert.equal(new Set(ids).size, ids.length, 'no record copied twice');
  assert.equal(ids.length, 12_000, 'nothing missing');
});
