import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type avro from 'avsc';
import type { Message } from 'kafkajs';
import type { CtrReport } from '../src/experiments/ctr/ctr-report.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { readTopics } from '../src/kafka/operator/topic-reader.js';
import { createAvroSerde } from '../src/serde/avro-serde.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { connection, testKafka, uniqueName, testAccess } from './helpers/kafka.js';
import { kascadeCli as kascade, produceMessages as produce } from './helpers/kascade-cli.js';

const HOUR = 3_600_000;

const predictionSchema = {
  type: 'record',
  name: 'Prediction',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'requestId', type: 'string' },
    { name: 'modelId', type: 'string' },
    { name: 'probability', type: 'double' },
  ],
} satisfies avro.schema.AvroSchema;

/**
 * A known experiment, 30 hours ago: champion 40 impressions (10 units x 4) with 10 clicked,
 * challenger 40 impressions (10 units x 4, every other one Avro) with 16 clicked; plus 3 duplicate
 * clicks, 2 orphans, 1 late (25 h after its impression), 1 early (before it), 1 unreadable click
 * and 1 re-delivered champion impression. Clicks are produced before the impressions.
 */
const kafka = testKafka('ctr');
const topics = { champion: uniqueName('ctr.champion'), challenger: uniqueName('ctr.challenger'), shared: uniqueName('ctr.shared'), clicks: uniqueName('ctr.clicks') };
const base = Date.now() - 30 * HOUR;
const impressionTime = (arm: 'c' | 'x', index: number): number => base + index * 1000 + (arm === 'x' ? 500 : 0);

before(async () => {
  await ensureTopics(testAccess, [
    { topic: topics.champion, partitions: 2 },
    { topic: topics.challenger, partitions: 3 },
    { topic: topics.shared, partitions: 2 },
    { topic: topics.clicks, partitions: 2 },
  ]);
  // The record timestamp is the click time; half the clicks also carry it in the value.
  const click = (requestId: string, time: number, inValue: boolean): Message => ({
    value: JSON.stringify(inValue ? { requestId, timestamp: time } : { requestId }),
    timestamp: String(time),
  });
  const clicks: Message[] = [];
  for (let index = 0; index < 10; index++) clicks.push(click(`r-c-${index}`, impressionTime('c', index) + 60_000, index % 2 === 0));
  for (let index = 0; index < 16; index++) clicks.push(click(`r-x-${index}`, impressionTime('x', index) + 120_000, index % 2 === 1));
  clicks.push(click('r-c-0', impressionTime('c', 0) + 90_000, true), click('r-c-1', impressionTime('c', 1) + 3 * HOUR, true));
  clicks.push(click('r-x-0', impressionTime('x', 0) + 23 * HOUR, false));
  clicks.push(click('r-none-1', base + 5000, true), click('r-none-2', base + 6000, false));
  clicks.push(click('r-c-20', impressionTime('c', 20) + 25 * HOUR, true));
  // Early: the click's own time (in the value) is before the impression, though the record was written after it.
  clicks.push({ value: JSON.stringify({ requestId: 'r-x-30', timestamp: impressionTime('x', 30) - 5000 }), timestamp: String(impressionTime('x', 30) + 1000) });
  clicks.push({ value: 'not json' });
  await produce(kafka, topics.clicks, clicks);

  const avro = createAvroSerde({ topic: topics.challenger, registry: createHttpSchemaRegistryClient(connection), schema: predictionSchema });
  const impressions = async (arm: 'c' | 'x', name: string, index: number): Promise<Message> => {
    const unit = `u-${arm}-${index % 10}`;
    const value = { requestId: `r-${arm}-${index}`, modelId: `model-${name}`, probability: 0.1 };
    const encoded = arm === 'x' && index % 2 === 1 ? await avro.serialize(value) : Buffer.from(JSON.stringify(value));
    return { key: unit, value: encoded, timestamp: String(impressionTime(arm, index)), headers: { 'kascade.arm': name, 'kascade.unit': unit } };
  };
  const champion = await Promise.all(Array.from({ length: 40 }, (_, index) => impressions('c', 'champion', index)));
  const challenger = await Promise.all(Array.from({ length: 40 }, (_, index) => impressions('x', 'challenger', index)));
  champion.push(await impressions('c', 'champion', 5)); // re-delivered after a crash
  await produce(kafka, topics.champion, champion);
  await produce(kafka, topics.challenger, challenger);
  await produce(kafka, topics.shared, [...champion, ...challenger]);
});

function checkKnownExperiment(report: CtrReport): void {
  assert.equal(report.champion, 'champion');
  assert.deepEqual(
    report.arms.map((arm) => [arm.name, arm.impressions, arm.clicked, arm.units, arm.ctr]),
    [
      ['champion', 40, 10, 10, 0.25],
      ['challenger', 40, 16, 10, 0.4],
    ],
  );
  assert.deepEqual(report.clicks, { records: 34, joined: 26, duplicates: 3, orphans: 2, late: 1, early: 1, outOfRange: 0, unreadable: 1, outsideTimeRange: 0 });
  assert.deepEqual(report.impressions, {
    records: 81,
    counted: 80,
    duplicates: 1,
    conflicting: 0,
    unreadable: 0,
    withoutRequestId: 0,
    withoutArm: 0,
    outsideTimeRange: 0,
    unitsInSeveralArms: 0,
  });
  assert.deepEqual(report.window, { ms: 24 * HOUR, text: '24h' });
  assert.ok(report.srm.checked);
  assert.equal(report.srm.chiSquare, 0);
  assert.equal(report.srm.mismatch, false);
  assert.deepEqual(
    report.srm.arms.map((arm) => arm.observed),
    [10, 10],
  );
  const comparison = report.comparisons[0];
  assert.ok(comparison !== undefined);
  assert.ok(Math.abs((comparison.absoluteLift?.estimate ?? 0) - 0.15) < 1e-12);
  assert.ok(comparison.clusteredTest !== null, 'units saw 4 impressions each: the per-user test applies');
  assert.ok(['challenger-better', 'champion-better', 'no-difference-yet'].includes(report.verdict));
}

test('kascade ctr --json on two arm topics (JSON and Avro values) and a clicks topic: every count exact', async () => {
  const result = await kascade([
    'ctr',
    '--arm',
    `champion=${topics.champion}`,
    '--arm',
    `challenger=${topics.challenger}`,
    '--clicks',
    topics.clicks,
    '--weights',
    'champion=50,challenger=50',
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as CtrReport;
  checkKnownExperiment(report);
  assert.deepEqual(
    report.arms.map((arm) => arm.topic),
    [topics.champion, topics.challenger],
  );
  assert.equal(result.stderr, '', 'no progress output when stderr is not a terminal');
});

test('kascade ctr --impressions: one topic, the arm from the kascade.arm header; --html writes a self-contained file', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'kascade-ctr-'));
  try {
    const file = join(folder, 'report.html');
    const result = await kascade(['ctr', '--impressions', topics.shared, '--clicks', topics.clicks, '--weights', 'champion=50,challenger=50', '--html', file, '--json', '--progress']);
    assert.equal(result.code, 0, result.stderr);
    checkKnownExperiment(JSON.parse(result.stdout) as CtrReport);
    assert.match(result.stderr, /read 115 records in/);
    const html = await readFile(file, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /https?:/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('--from/--to select impressions and clicks by event time; orphans whose impression may be outside the range are out of range', async () => {
  // Impressions 10..29 of each arm (one second apart).
  const from = new Date(impressionTime('c', 10)).toISOString();
  const to = new Date(impressionTime('c', 30)).toISOString();
  const result = await kascade(['ctr', '--arm', `champion=${topics.champion}`, '--arm', `challenger=${topics.challenger}`, '--clicks', topics.clicks, '--from', from, '--to', to, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as CtrReport;
  assert.deepEqual(report.range, { from, to });
  assert.deepEqual(
    report.arms.map((arm) => [arm.name, arm.impressions, arm.clicked]),
    [
      ['champion', 20, 0],
      ['challenger', 20, 6],
    ],
  );
  assert.equal(report.srm.checked, false);
  // Every record is read. Clicks count from --from to --to plus the window: those of impressions before
  // --from (and the early click of impression 30, after --to) cannot be told from lost ones: out of range,
  // not orphans. The two orphans (5 and 6 s after the start, before --from) and the click 25 h after
  // impression 20 are outside the time range; the unreadable click is counted wherever it lies.
  assert.deepEqual(report.clicks, { records: 34, joined: 6, duplicates: 0, orphans: 0, late: 0, early: 0, outOfRange: 24, unreadable: 1, outsideTimeRange: 3 });
  // Impressions 0..9 and 30..39 of each arm, and the re-delivered champion impression 5.
  assert.equal(report.impressions.outsideTimeRange, 41);
});

test('the reader stops at the end offsets and reports progress; timestamp and offset bounds', async () => {
  const topic = uniqueName('ctr.reader');
  await ensureTopics(testAccess, [{ topic, partitions: 3 }]);
  const start = Date.now() - HOUR;
  await produce(
    kafka,
    topic,
    Array.from({ length: 30 }, (_, index) => ({ key: `k${index}`, value: String(index), timestamp: String(start + index * 1000) })),
  );
  const readAll: string[] = [];
  const progress: [number, number][] = [];
  const summary = await readTopics(testAccess, [{ topic }], { onRecord: (record) => void readAll.push(record.value?.toString() ?? ''), onProgress: (read, total) => progress.push([read, total]) });
  assert.equal(summary.records, 30);
  assert.equal(summary.total, 30);
  assert.deepEqual(readAll.map(Number).sort((a, b) => a - b), Array.from({ length: 30 }, (_, index) => index));
  assert.deepEqual(progress.at(-1), [30, 30]);

  const windowed: number[] = [];
  await readTopics(testAccess, [{ topic, from: { kind: 'timestamp', ms: start + 10_000 }, to: { kind: 'timestamp', ms: start + 20_000 } }], {
    onRecord: (record) => void windowed.push(Number(record.value?.toString())),
  });
  assert.deepEqual(windowed.sort((a, b) => a - b), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);

  const fromOffset = await readTopics(testAccess, [{ topic, from: { kind: 'offset', offset: '5' } }], { onRecord: () => undefined });
  assert.equal(fromOffset.records, fromOffset.spans.reduce((sum, span) => sum + Math.max(0, Number(span.end) - 5), 0));
});

test('bad usage exits 2; a missing topic is named', async () => {
  const usage = await kascade(['ctr', '--arm', 'champion=a', '--clicks', 'c']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /at least two --arm/);
  const weights = await kascade(['ctr', '--arm', 'a=t1', '--arm', 'b=t2', '--clicks', 'c', '--weights', 'a=50,z=50']);
  assert.equal(weights.code, 2);
  assert.match(weights.stderr, /--weights must name exactly the arms/);
  const missing = await kascade(['ctr', '--arm', `a=${uniqueName('absent')}`, '--arm', `b=${topics.challenger}`, '--clicks', topics.clicks]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /topic "test\.absent\.[0-9a-f]+" not found/);
});
