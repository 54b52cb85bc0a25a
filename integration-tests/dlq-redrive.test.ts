import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { runRedrive, type RedriveSummary } from '../src/kafka/operator/dead-letter-redrive.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { readTopic, type TopicRecord } from '../src/kafka/operator/topic-reader.js';
import { runTopology, type RunningTopology } from '../src/kafka/topology-runner.js';
import { partitionForKey } from '../src/routing/partitioner.js';
import { headerText } from '../src/runtime/record.js';
import { onnxRunner } from '../src/runtime/stage-handlers.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { topologyTopics } from '../src/topology/topics.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { featuresFor } from '../test/helpers/ctr-model.js';
import { connection, createTopic, testKafka, uniqueName, testAccess } from './helpers/kafka.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('dlq-redrive');
const BROKEN = 'integration-tests/fixtures/dlq-redrive.yaml';
const FIXED = 'integration-tests/fixtures/dlq-redrive-fixed.yaml';

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `kascade <args>` as an operator runs it; asynchronous, so the stage running in this process keeps its heartbeats. */
function kascade(args: readonly string[]): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function header(record: TopicRecord, name: string): string | undefined {
  return headerText(record.headers, name);
}

/** Every record of `topic` up to its end offsets now. */
async function readToEnd(topic: string): Promise<TopicRecord[]> {
  const records: TopicRecord[] = [];
  await readTopic(testAccess, { topic }, { onRecord: (record) => void records.push(record) });
  return records;
}

async function endOffsets(topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic))
      .sort((a, b) => a.partition - b.partition)
      .map((entry) => entry.high)
      .join(',');
  } finally {
    await admin.disconnect();
  }
}

async function committedOffsets(group: string, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (entry?.partitions ?? [])
      .sort((a, b) => a.partition - b.partition)
      .map((partition) => partition.offset)
      .join(',');
  } finally {
    await admin.disconnect();
  }
}

/** The fixture's keyed stage, before or after the fix, in this process. */
class RedriveFixture {
  readonly run = `dlq${randomUUID().slice(0, 8)}`;
  readonly requests = `${this.run}.requests`;
  readonly deadLetters = `${this.run}.requests.dlq`;
  readonly predictions = `${this.run}.predictions`;
  readonly stageGroup = `dlq-${this.run}.score`;
  readonly logs: string[] = [];

  async createTopics(): Promise<void> {
    const { spec } = await this.load(BROKEN);
    await ensureTopics(testAccess, topologyTopics(spec));
  }

  async start(file: string): Promise<RunningTopology> {
    const { spec, baseDir, modelsRoot } = await this.load(file);
    return runTopology({
      spec,
      connection,
      serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir }),
      plugins: { transforms: new TransformRegistry(), createModelRunner: onnxRunner },
      logger: jsonLogger('warn', {}, (line) => this.logs.push(line)),
      modelsRoot,
      createTopics: false,
    });
  }

  /**
   * Waits until the stage committed to the end of its input: its outputs and dead letters are all
   * written. After a redrive, which writes in transactions, a partition it wrote ends with a commit
   * marker that no consumer commits past: `markerAllowance` 1.
   */
  async waitForCaughtUp(markerAllowance = 0): Promise<void> {
    let state = '';
    await waitFor(
      async () => {
        const [ends, committed] = await Promise.all([endOffsets(this.requests), committedOffsets(this.stageGroup, this.requests)]);
        state = `ends ${ends}, committed ${committed}`;
        const done = committed.split(',').map(Number);
        return ends.split(',').every((end, partition) => (done[partition] ?? -1) >= Number(end) - markerAllowance);
      },
      { what: () => `stage score to commit to the end of ${this.requests} (${state})`, timeoutMs: 120_000, intervalMs: 200 },
    );
  }

  private load(file: string): ReturnType<typeof loadTopologyFile> {
    return loadTopologyFile(file, { env: { ...process.env, KASCADE_RUN: this.run } });
  }
}

interface Request {
  readonly id: string;
  readonly key: string;
  readonly partition: number;
  readonly features: readonly number[];
}

function requestsOf(prefix: string, keys: readonly string[], count: number, featureLength = 32): Request[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${index}`,
    key: keys[index % keys.length] ?? 'none',
    // Placed by the test, not by key hash: a redrive must put each record back where it was.
    partition: (index + prefix.length) % 3,
    features: featuresFor(index, featureLength),
  }));
}

async function produce(topic: string, requests: readonly Request[]): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: requests.map((request) => ({
        key: request.key,
        partition: request.partition,
        value: JSON.stringify({ id: request.id, features: request.features }),
        headers: { 'x-origin': `test-${request.id}` },
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

const idOf = (record: TopicRecord): string => (JSON.parse(record.value?.toString('utf8') ?? '{}') as { id: string }).id;
const sorted = (values: readonly string[]): string[] => [...values].sort();

test('dead letters of a fixed cause are redriven to their source partitions and served; the filter, count header, refusal past the limit and a second run hold', async () => {
  const fixture = new RedriveFixture();
  await fixture.createTopics();
  const good = requestsOf('good', ['a0', 'a1', 'b0', 'b1'], 12);
  const cohortC = requestsOf('c', ['c0', 'c1', 'c2'], 9);
  const shortFeatures = requestsOf('short', ['a0', 'b1'], 3, 5);
  await produce(fixture.requests, [...good, ...cohortC, ...shortFeatures]);

  // Before the fix: no model for the c cohort.
  const broken = await fixture.start(BROKEN);
  try {
    await fixture.waitForCaughtUp();
  } finally {
    await broken.stop();
  }
  const firstDeadLetters = await readToEnd(fixture.deadLetters);
  const codeOf = (record: TopicRecord): string | undefined => header(record, 'kascade.error.code');
  const unknownKey = firstDeadLetters.filter((record) => codeOf(record) === 'KASCADE_UNKNOWN_MODEL_KEY');
  const tensor = firstDeadLetters.filter((record) => codeOf(record) === 'KASCADE_TENSOR_MAPPING_FAILED');
  assert.equal(firstDeadLetters.length, 12);
  assert.deepEqual(sorted(unknownKey.map(idOf)), sorted(cohortC.map((request) => request.id)));
  assert.deepEqual(sorted(tensor.map(idOf)), sorted(shortFeatures.map((request) => request.id)));

  // A dry run reports per code and target and changes nothing.
  const requestsBefore = await endOffsets(fixture.requests);
  const dry = await kascade(['dlq', 'redrive', '--topic', fixture.deadLetters, '--filter', 'unknown-model-key', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^ {2}would redrive: 9$/m);
  assert.match(dry.stdout, new RegExp(`^ {4}${fixture.requests.replaceAll('.', '\\.')} {2}KASCADE_UNKNOWN_MODEL_KEY {2}9$`, 'm'));
  assert.match(dry.stdout, /^ {2}skipped by the filter: 3$/m);
  assert.equal(await endOffsets(fixture.requests), requestsBefore, 'a dry run writes nothing');
  assert.equal(await committedOffsets(`kascade-dlq-redrive.${fixture.deadLetters}`, fixture.deadLetters), '-1,-1', 'a dry run commits nothing');

  // After the fix: the c cohort has a model. The operator redrives what the fix covers.
  const fixed = await fixture.start(FIXED);
  try {
    const redrive = await kascade(['dlq', 'redrive', '--topic', fixture.deadLetters, '--filter', 'KASCADE_UNKNOWN_MODEL_KEY']);
    assert.equal(redrive.code, 0, `${redrive.stdout}\n${redrive.stderr}`);
    assert.match(redrive.stdout, /^ {2}redriven: 9$/m);
    assert.match(redrive.stdout, /^ {2}skipped by the filter: 3$/m);
    assert.match(redrive.stdout, /^ {2}refused \(redriven 3 times already\): 0$/m);
    await fixture.waitForCaughtUp(1);

    // Served exactly once each: the good records before the fix, the redriven ones after.
    const predictions = await readToEnd(fixture.predictions);
    assert.deepEqual(sorted(predictions.map(idOf)), sorted([...good, ...cohortC].map((request) => request.id)));

    // On the input: the original key, value and headers, on the original partition, with a count and no error headers.
    const requestsTopic = await readToEnd(fixture.requests);
    const redriven = requestsTopic.filter((record) => header(record, 'kascade.redrive.count') !== undefined);
    assert.deepEqual(sorted(redriven.map(idOf)), sorted(cohortC.map((request) => request.id)));
    for (const record of redriven) {
      const original = requestsTopic.find((candidate) => idOf(candidate) === idOf(record) && header(candidate, 'kascade.redrive.count') === undefined);
      assert.ok(original !== undefined);
      assert.equal(header(record, 'kascade.redrive.count'), '1');
      assert.equal(record.partition, original.partition, `${idOf(record)} back on its source partition`);
      assert.deepEqual(record.key, original.key);
      assert.deepEqual(record.value, original.value);
      assert.equal(header(record, 'x-origin'), `test-${idOf(record)}`);
      assert.deepEqual(
        record.headers.filter(([name]) => name.startsWith('kascade.error.')),
        [],
      );
      // Every original header byte for byte, in order, then the count.
      assert.deepEqual(record.headers, [...original.headers, ['kascade.redrive.count', Buffer.from('1')]]);
    }
    // Placed by source partition, not by key: at least one of them sits where murmur2 would not put it.
    assert.ok(cohortC.some((request) => partitionForKey(request.key, 3) !== request.partition));

    // A second run has nothing new to redrive.
    const requestsAfterRedrive = await endOffsets(fixture.requests);
    const again = await kascade(['dlq', 'redrive', '--topic', fixture.deadLetters, '--filter', 'UNKNOWN_MODEL_KEY']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /: read 0 dead letters /);
    assert.match(again.stdout, /^ {2}redriven: 0$/m);
    assert.equal(await endOffsets(fixture.requests), requestsAfterRedrive);

    // What the fix does not cover fails again each time; the count rides along into the dead-letter
    // topic and grows until the redrive refuses it. Another group: the default one has passed them.
    const cycle = ['dlq', 'redrive', '--topic', fixture.deadLetters, '--filter', 'TENSOR_MAPPING_FAILED', '--group', `${fixture.run}-tensor`, '--max-redrives', '2'];
    for (const expectedCount of ['1', '2']) {
      const result = await kascade(cycle);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /^ {2}redriven: 3$/m);
      await fixture.waitForCaughtUp(1);
      const failedAgain = (await readToEnd(fixture.deadLetters)).filter((record) => header(record, 'kascade.redrive.count') === expectedCount);
      assert.deepEqual(sorted(failedAgain.map(idOf)), sorted(shortFeatures.map((request) => request.id)));
      assert.ok(failedAgain.every((record) => codeOf(record) === 'KASCADE_TENSOR_MAPPING_FAILED'));
    }
    const requestsBeforeRefusal = await endOffsets(fixture.requests);
    const refused = await kascade(cycle);
    assert.equal(refused.code, 1, `${refused.stdout}\n${refused.stderr}`);
    assert.match(refused.stdout, /^ {2}redriven: 0$/m);
    assert.match(refused.stdout, /^ {2}refused \(redriven 2 times already\): 3$/m);
    const tired = (await readToEnd(fixture.deadLetters)).filter((record) => header(record, 'kascade.redrive.count') === '2');
    for (const record of tired) {
      assert.match(refused.stdout, new RegExp(`^ {4}partition ${record.partition} offset ${record.offset} {2}KASCADE_TENSOR_MAPPING_FAILED {2}redriven 2 times$`, 'm'));
    }
    assert.equal(await endOffsets(fixture.requests), requestsBeforeRefusal, 'refused records are not re-injected');
    const afterRefusal = await kascade(cycle);
    assert.equal(afterRefusal.code, 0, afterRefusal.stderr);
    assert.match(afterRefusal.stdout, /: read 0 dead letters /);

    const stats = await kascade(['dlq', 'stats', '--topic', fixture.deadLetters]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /: 18 dead letters /);
    assert.match(stats.stdout, /^ {4}KASCADE_TENSOR_MAPPING_FAILED {2}9$/m);
    assert.match(stats.stdout, /^ {4}KASCADE_UNKNOWN_MODEL_KEY {6}9$/m);
    assert.match(stats.stdout, /^ {4}score {2}18$/m);
    assert.match(stats.stdout, /^ {2}by redrive count:\n {4}0 {2}12\n {4}1 {2}3\n {4}2 {2}3$/m);
    // The default group passed the first 12; the 6 dead letters of the cycles came later.
    assert.match(stats.stdout, new RegExp(`not yet passed by group kascade-dlq-redrive\\.${fixture.deadLetters.replaceAll('.', '\\.')}: 6$`, 'm'));
  } finally {
    await fixed.stop();
  }
});

test('dead letters without a source topic are reported, not skipped; --to sends records by key; a missing topic is named', async () => {
  const deadLetters = uniqueName('dlq');
  const source = uniqueName('source');
  const elsewhere = uniqueName('elsewhere');
  await Promise.all([createTopic(kafka, deadLetters, 1), createTopic(kafka, source, 4), createTopic(kafka, elsewhere, 5)]);
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({
    topic: deadLetters,
    messages: [
      {
        key: 'k-0',
        value: 'v-0',
        headers: { 'kascade.error.code': 'KASCADE_DECODE_FAILED', 'kascade.error.stage': 'parse', 'kascade.error.source.topic': source, 'kascade.error.source.partition': '3' },
      },
      { key: 'k-1', value: 'v-1', headers: { 'kascade.error.code': 'KASCADE_DECODE_FAILED', 'kascade.error.stage': 'parse' } },
    ],
  });
  await producer.disconnect();

  const result = await kascade(['dlq', 'redrive', '--topic', deadLetters]);
  assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /^ {2}redriven: 1$/m);
  assert.match(result.stdout, /^ {2}failed: 1\n {4}partition 0 offset 1 {2}KASCADE_DECODE_FAILED {2}no kascade\.error\.source\.topic header to send it back to: name a topic with --to$/m);
  const back = await readToEnd(source);
  assert.deepEqual(
    back.map((record) => [record.partition, record.key?.toString(), record.value?.toString(), header(record, 'kascade.redrive.count')]),
    [[3, 'k-0', 'v-0', '1']],
  );

  // With --to (and a group of its own), both go to the named topic, placed by key.
  const moved = await kascade(['dlq', 'redrive', '--topic', deadLetters, '--to', elsewhere, '--group', `${elsewhere}-ops`]);
  assert.equal(moved.code, 0, `${moved.stdout}\n${moved.stderr}`);
  const there = await readToEnd(elsewhere);
  assert.deepEqual(sorted(there.map((record) => record.key?.toString() ?? '')), ['k-0', 'k-1']);
  for (const record of there) assert.equal(record.partition, partitionForKey(record.key ?? '', 5), `${record.key?.toString() ?? ''} placed by key`);

  const missing = await kascade(['dlq', 'redrive', '--topic', `${deadLetters}-nope`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, new RegExp(`dead-letter topic "${deadLetters.replaceAll('.', '\\.')}-nope" not found`));
});

test('a second redrive of the same group fences the first; together they redrive everything, at worst one chunk twice', async () => {
  const deadLetters = uniqueName('dlq');
  const source = uniqueName('source');
  await Promise.all([createTopic(kafka, deadLetters, 2), createTopic(kafka, source, 2)]);
  const count = 12_000;
  const producer = createProducer(kafka);
  await producer.connect();
  for (let start = 0; start < count; start += 3000) {
    await producer.send({
      topic: deadLetters,
      messages: Array.from({ length: 3000 }, (_, index) => ({
        key: `k-${start + index}`,
        value: `v-${start + index}`,
        headers: { 'kascade.error.code': 'KASCADE_DECODE_FAILED', 'kascade.error.source.topic': source, 'kascade.error.source.partition': String(index % 2) },
      })),
    });
  }
  await producer.disconnect();

  const options = { topic: deadLetters, group: `${deadLetters}-ops`, policy: { codes: new Set<string>(), maxRedrives: 3 }, dryRun: false };
  const first = runRedrive(testAccess, options).then(
    (summary): RedriveSummary | Error => summary,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  // The second starts once the first has committed a chunk.
  await waitFor(async () => (await committedOffsets(options.group, deadLetters)).split(',').some((offset) => Number(offset) > 0), {
    what: 'the first redrive to commit a chunk',
  });
  const second = await runRedrive(testAccess, options);
  const outcome = await first;
  // Fenced, the first fails: the broker says so (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH) or, at times, answers its
  // offset commit or its EndTxn with UNKNOWN_SERVER_ERROR, which leaves the outcome to the counts below.
  if (outcome instanceof Error) assert.match(outcome.message, /another redrive of group .* started and took over|its records and its progress landed together or not at all/);
  assert.ok(second.tally.clean);
  assert.ok(second.tally.read < count, 'the second goes on from what the first committed');

  const copies = new Map<string, number>();
  for (const record of await readToEnd(source)) copies.set(record.key?.toString() ?? '', (copies.get(record.key?.toString() ?? '') ?? 0) + 1);
  assert.equal(copies.size, count, 'every dead letter redriven');
  const twice = [...copies.values()].filter((copiesOfOne) => copiesOfOne > 1).length;
  assert.ok(twice <= 500, `${twice} redriven twice: at most the first redrive's last, uncommitted chunk`);
  assert.ok([...copies.values()].every((copiesOfOne) => copiesOfOne <= 2));
  assert.equal(await committedOffsets(options.group, deadLetters), await endOffsets(deadLetters));
});
