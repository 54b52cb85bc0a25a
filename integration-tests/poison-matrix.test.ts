import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import avro from 'avsc';
import kafkajs from 'kafkajs';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { runTopology, type RunningTopology } from '../src/kafka/topology-runner.js';
import { encodeConfluentFrame } from '../src/serde/confluent-wire-format.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile, type LoadedTopology } from '../src/topology/load.js';
import type { DeliveryGuarantee } from '../src/topology/spec.js';
import { topologyTopics } from '../src/topology/topics.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { featuresFor, logistic, readWeights } from '../test/helpers/ctr-model.js';
import { collect, connection, testKafka, type ReceivedRecord, testAccess } from './helpers/kafka.js';
import { decodeAvro, readAll, tally } from './helpers/read-topic.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * Poison inputs of every kind, interleaved with good records (one in ten records is poison), on
 * the real broker and registry: each lands in the stage's dead-letter topic with its code, its
 * reason and its original bytes, and the good records come out exactly as in a run without
 * poison, with the stage never pausing, retrying or rejoining its group.
 */

const kafka = testKafka('poison-matrix');
const FIXTURE = 'integration-tests/fixtures/poison-matrix.yaml';
const REQUEST_SCHEMA = readFileSync('integration-tests/fixtures/poison-request.avsc', 'utf8');
const requestType = avro.Type.forSchema(JSON.parse(REQUEST_SCHEMA) as avro.schema.AvroSchema);
/** max.message.bytes of the Avro stage's output topic: small, so that one passthrough note can outgrow it. */
const OUTPUT_LIMIT = 32 * 1024;
/** A note this long makes its prediction larger than OUTPUT_LIMIT (the input itself is well under the input topic's 1 MiB). */
const BIG_NOTE = 40_000;
/** Cohort users of the keyed stage: a0..a7 are served by ctr-cohort-a, and so on. */
const USERS = ['a', 'b', 'c', 'd'].flatMap((cohort) => Array.from({ length: 8 }, (_, index) => `${cohort}${String(index)}`));
/** Headers every input carries; a dead letter must keep them as they were. */
const headersOf = (id: string): Record<string, string> => ({ 'x-test-id': id, 'x-origin': 'poison-matrix ✓ é' });

type StageName = 'avro' | 'json' | 'keyed';

interface Poison {
  readonly kind: string;
  readonly code: string;
  readonly message: RegExp;
}

interface Input {
  readonly id: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent for a good record. */
  readonly poison?: Poison;
}

/** One run of one stage on its own topics (KASCADE_RUN) and consumer group. */
class PoisonRun {
  readonly run = `poison${randomUUID().slice(0, 8)}`;
  readonly logs: string[] = [];
  #loaded: LoadedTopology | undefined;

  constructor(readonly delivery: DeliveryGuarantee) {}

  topic(name: `${StageName}-requests` | `${StageName}-predictions`): string {
    return `${this.run}.${name}`;
  }

  /** Loads the fixture and creates its topics, the Avro stage's output with a small max.message.bytes. */
  async prepare(): Promise<LoadedTopology> {
    this.#loaded = await loadTopologyFile(FIXTURE, { env: { ...process.env, KASCADE_RUN: this.run, KASCADE_DELIVERY: this.delivery } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: this.topic('avro-predictions'), numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: String(OUTPUT_LIMIT) }] }],
      });
    } finally {
      await admin.disconnect();
    }
    await ensureTopics(testAccess, topologyTopics(this.#loaded.spec));
    return this.#loaded;
  }

  /** Starts one instance of `stage` in this process; it resolves once the stage joined its group. */
  async start(stage: StageName): Promise<RunningTopology> {
    const { spec, baseDir, modelsRoot } = this.#loaded ?? (await this.prepare());
    return runTopology({
      spec,
      connection,
      serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir }),
      plugins: { transforms: new TransformRegistry() },
      logger: jsonLogger('info', {}, (line) => this.logs.push(line)),
      modelsRoot,
      stages: [stage],
    });
  }

  /**
   * Produces `inputs`, runs `stage` until it consumed them all, and returns what it counted, the
   * good records per second from the moment it joined its group, and what it wrote.
   */
  async process(stage: StageName, inputs: readonly Input[]): Promise<StageRun> {
    const input = this.topic(`${stage}-requests`);
    await produce(input, inputs);
    const good = inputs.filter((entry) => entry.poison === undefined).length;
    const running = await this.start(stage);
    let elapsedMs: number;
    let counters: Readonly<Record<string, number | string>>;
    try {
      const joined = performance.now();
      const countersNow = (): Readonly<Record<string, number | string>> => running.stats()[stage] ?? {};
      await waitFor(() => Number(countersNow()['consumed']) >= inputs.length && Number(countersNow()['written']) >= good, {
        what: () => `stage ${stage} to consume ${String(inputs.length)} records and write ${String(good)} (${JSON.stringify(countersNow())})`,
        timeoutMs: 120_000,
        intervalMs: 5,
      });
      elapsedMs = performance.now() - joined;
      counters = countersNow();
    } finally {
      await running.stop();
    }
    const [outputs, deadLetters, stored] = await Promise.all([
      readAll(kafka, this.topic(`${stage}-predictions`)),
      readAll(kafka, `${input}.dlq`),
      readInputs(input, inputs.length),
    ]);
    return { input, counters, goodPerSecond: (good * 1000) / elapsedMs, outputs, deadLetters, stored, logs: this.logs };
  }
}

interface StageRun {
  readonly input: string;
  readonly counters: Readonly<Record<string, number | string>>;
  readonly goodPerSecond: number;
  readonly outputs: readonly ReceivedRecord[];
  readonly deadLetters: readonly ReceivedRecord[];
  /** The inputs as the broker stored them (partition and offset), by test id. */
  readonly stored: ReadonlyMap<string, ReceivedRecord>;
  readonly logs: readonly string[];
}

async function produce(topic: string, inputs: readonly Input[]): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    // Slices small enough that the big records of one slice stay under the input topic's 1 MiB per partition batch.
    for (let start = 0; start < inputs.length; start += 200) {
      await producer.send({ topic, messages: inputs.slice(start, start + 200).map(({ key, value, headers }) => ({ key, value, headers: { ...headers } })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The input topic as stored, read without markers (the stage must not see anything else on it). */
async function readInputs(topic: string, count: number): Promise<Map<string, ReceivedRecord>> {
  const collector = await collect(kafka, topic);
  try {
    await collector.waitForCount(count, 60_000);
  } finally {
    await collector.stop();
  }
  return new Map(collector.records.map((record) => [record.headers['x-test-id'] ?? '', record]));
}

/** Good records with `poisons` interleaved: every tenth record is the next poison. */
function interleave(good: readonly Input[], poisons: readonly Input[]): Input[] {
  const all: Input[] = [];
  let next = 0;
  for (const [index, record] of good.entries()) {
    all.push(record);
    if (index % 9 === 8 && next < poisons.length) all.push(poisons[next++]!);
  }
  all.push(...poisons.slice(next));
  return all;
}

/** `count` poisons of each kind, kinds taking turns. */
function poisons(count: number, kinds: readonly ((index: number) => Input)[]): Input[] {
  return Array.from({ length: count * kinds.length }, (_, index) => kinds[index % kinds.length]!(Math.floor(index / kinds.length)));
}

function jsonText(id: string, note: string, features: readonly (number | string)[]): Buffer {
  // Built by hand so that a feature can be a literal JSON has but JS cannot write (1e400).
  return Buffer.from(`{"id":${JSON.stringify(id)},"note":${JSON.stringify(note)},"features":[${features.map(String).join(',')}]}`);
}

const Code = {
  decode: 'KASCADE_DECODE_FAILED',
  schema: 'KASCADE_SCHEMA_NOT_FOUND',
  tensor: 'KASCADE_TENSOR_MAPPING_FAILED',
  tooLarge: 'KASCADE_RECORD_TOO_LARGE',
  modelKey: 'KASCADE_UNKNOWN_MODEL_KEY',
} as const;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Avro stage's inputs: `goodCount` good records and, with poison, one ninth as many poisons (a tenth of all), of 8 kinds. */
async function avroInputs(run: PoisonRun, withPoison: boolean, goodCount = 1800): Promise<Input[]> {
  const topic = run.topic('avro-requests');
  const schemaId = await createHttpSchemaRegistryClient(connection).register(`${topic}-value`, REQUEST_SCHEMA);
  const encode = (id: string, note: string, features: readonly number[]): Buffer => encodeConfluentFrame(schemaId, requestType.toBuffer({ id, note, features }));
  const good = Array.from({ length: goodCount }, (_, index) => {
    const id = `g-${String(index)}`;
    return { id, key: id, value: encode(id, `note ${String(index)}`, featuresFor(index)), headers: headersOf(id) };
  });
  if (!withPoison) return good;
  const poison = (kind: string, code: string, message: RegExp | ((index: number) => RegExp), value: (id: string, index: number) => Buffer) => (index: number): Input => {
    const id = `p-${kind}-${String(index)}`;
    return { id, key: id, value: value(id, index), headers: headersOf(id), poison: { kind, code, message: typeof message === 'function' ? message(index) : message } };
  };
  const predictions = escape(run.topic('avro-predictions'));
  // Three ids the registry never issued, as from a producer pointed at another registry.
  const unknownIdBase = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
  return interleave(
    good,
    poisons(Math.round(goodCount / 9 / 8), [
      poison('empty', Code.decode, /^value is 0 bytes long, shorter than the 5-byte Confluent header: not Confluent Avro$/, () => Buffer.alloc(0)),
      poison('bad-magic', Code.decode, /^magic byte 0x01, expected 0x00: not Confluent Avro$/, (id, index) => {
        const value = encode(id, 'bad magic', featuresFor(index));
        value[0] = 1;
        return value;
      }),
      poison('unknown-schema', Code.schema, (index) => new RegExp(`^schema id ${String(unknownIdBase + (index % 3))} is not known to the schema registry at `), (id, index) => {
        const body = requestType.toBuffer({ id, note: 'unknown schema', features: featuresFor(index) });
        return encodeConfluentFrame(unknownIdBase + (index % 3), body);
      }),
      poison('truncated', Code.decode, new RegExp(`^Avro body written with schema id ${String(schemaId)} cannot be decoded: truncated buffer$`), (id, index) => {
        const whole = encode(id, 'truncated', featuresFor(index));
        return whole.subarray(0, 5 + Math.floor((whole.length - 5) / 2));
      }),
      poison('nan', Code.tensor, /^model ctr-logreg: field "features" item 7 is NaN, not a finite number$/, (id, index) =>
        encode(id, 'nan', featuresFor(index).map((feature, item) => (item === 7 ? Number.NaN : feature))),
      ),
      poison('infinity', Code.tensor, /^model ctr-logreg: field "features" item 3 is Infinity, not a finite number$/, (id, index) =>
        encode(id, 'infinity', featuresFor(index).map((feature, item) => (item === 3 ? Number.POSITIVE_INFINITY : feature))),
      ),
      poison('short', Code.tensor, /^model ctr-logreg: field "features" has 31 numbers, the model wants 32$/, (id, index) => encode(id, 'short', featuresFor(index, 31))),
      poison(
        'too-large',
        Code.tooLarge,
        new RegExp(`^output to topic "${predictions}" takes \\d+ bytes as a record batch \\(value \\d+, key \\d+, headers \\d+ bytes\\), more than the topic's max\\.message\\.bytes of ${String(OUTPUT_LIMIT)}$`),
        (id, index) => encode(id, 'x'.repeat(BIG_NOTE), featuresFor(index)),
      ),
    ]),
  );
}

/** The JSON stage's inputs: 900 good records and 25 poisons of each of 4 kinds. */
function jsonInputs(withPoison: boolean): Input[] {
  const good = Array.from({ length: 900 }, (_, index) => {
    const id = `g-${String(index)}`;
    return { id, key: id, value: jsonText(id, `note ${String(index)}`, featuresFor(index)), headers: headersOf(id) };
  });
  if (!withPoison) return good;
  const poison = (kind: string, message: RegExp, value: (id: string, index: number) => Buffer) => (index: number): Input => {
    const id = `p-${kind}-${String(index)}`;
    return { id, key: id, value: value(id, index), headers: headersOf(id), poison: { kind, code: kind === 'empty' ? Code.decode : Code.tensor, message } };
  };
  return interleave(
    good,
    poisons(25, [
      poison('empty', /^value is empty \(0 bytes\): not JSON$/, () => Buffer.alloc(0)),
      poison('short', /^model ctr-logreg: field "features" has 31 numbers, the model wants 32$/, (id, index) => jsonText(id, 'short', featuresFor(index, 31))),
      // 1e400 is valid JSON, and parses to Infinity: beyond every float, so not a feature.
      poison('overflow', /^model ctr-logreg: field "features" item 5 is Infinity, not a finite number$/, (id, index) =>
        jsonText(id, 'overflow', featuresFor(index).map((feature, item) => (item === 5 ? '1e400' : feature))),
      ),
      poison('negative-overflow', /^model ctr-logreg: field "features" item 31 is -Infinity, not a finite number$/, (id, index) =>
        jsonText(id, 'negative overflow', featuresFor(index).map((feature, item) => (item === 31 ? '-1e400' : feature))),
      ),
    ]),
  );
}

/** The keyed stage's inputs: 900 good records keyed by cohort user, 100 keyed by users no model serves. */
function keyedInputs(withPoison: boolean): Input[] {
  const good = Array.from({ length: 900 }, (_, index) => {
    const id = `g-${String(index)}`;
    return { id, key: USERS[index % USERS.length]!, value: jsonText(id, `note ${String(index)}`, featuresFor(index)), headers: headersOf(id) };
  });
  if (!withPoison) return good;
  return interleave(
    good,
    Array.from({ length: 100 }, (_, index) => {
      const id = `p-unknown-key-${String(index)}`;
      const key = `stranger-${String(index)}`;
      const message = new RegExp(`^no model for record key "${key}" and no defaultModel$`);
      return { id, key, value: jsonText(id, 'stranger', featuresFor(index)), headers: headersOf(id), poison: { kind: 'unknown-key', code: Code.modelKey, message } };
    }),
  );
}

/** A prediction as a user compares it between runs: everything but the model's timing. */
interface Served {
  readonly requestId: string;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly note: string;
  readonly probability: number;
}

/** Predictions by id, and ids in order per partition. */
async function predictionsOf(outputs: readonly ReceivedRecord[]): Promise<{ byId: Map<string, Served>; order: string[][] }> {
  const decoded = await decodeAvro<Served & { readonly inferenceMs: number }>(outputs);
  const byId = new Map<string, Served>();
  const order: string[][] = [[], [], []];
  decoded.forEach((prediction, index) => {
    const { requestId, modelId, modelVersion, id, note, probability } = prediction;
    byId.set(id, { requestId, modelId, modelVersion, id, note, probability });
    order[outputs[index]!.partition]!.push(id);
  });
  return { byId, order };
}

/** Everything a user checks after a run with poison, against a run of the same good records without it. */
async function assertPoisonHandled(stage: StageName, inputs: readonly Input[], poisoned: StageRun, clean: StageRun): Promise<void> {
  const poison = inputs.filter((entry) => entry.poison !== undefined);
  const good = inputs.filter((entry) => entry.poison === undefined);

  // The stage counted every record once, never paused, retried, failed or rejoined.
  assert.deepEqual(
    { consumed: poisoned.counters['consumed'], written: poisoned.counters['written'], deadLettered: poisoned.counters['deadLettered'], skipped: poisoned.counters['skipped'] },
    { consumed: inputs.length, written: good.length, deadLettered: poison.length, skipped: 0 },
  );
  const trouble = poisoned.logs.filter((line) => /systemic failure|stage failed|consumer crashed|could not write|"level":"error"/.test(line));
  assert.deepEqual(trouble, [], 'no pause, retry or failure because of poison');
  assert.equal(poisoned.logs.filter((line) => line.includes('"msg":"joined consumer group"')).length, 1, 'joined its group once: no restart, no rebalance');

  // Exactly the poison records are dead letters, each with its code, its reason, where it was read, and its original bytes.
  const deadById = new Map(poisoned.deadLetters.map((record) => [record.headers['x-test-id'] ?? '', record]));
  assert.equal(poisoned.deadLetters.length, poison.length, 'one dead letter per poison record');
  assert.deepEqual([...deadById.keys()].sort(), poison.map((entry) => entry.id).sort());
  for (const entry of poison) {
    const dead = deadById.get(entry.id)!;
    const stored = poisoned.stored.get(entry.id)!;
    const where = `${entry.poison!.kind} ${entry.id}`;
    assert.equal(dead.headers['kascade.error.code'], entry.poison!.code, where);
    assert.match(dead.headers['kascade.error.message'] ?? '', entry.poison!.message, where);
    assert.equal(dead.headers['kascade.error.stage'], stage, where);
    assert.equal(dead.headers['kascade.error.source.topic'], poisoned.input, where);
    assert.equal(dead.headers['kascade.error.source.partition'], String(stored.partition), where);
    assert.equal(dead.headers['kascade.error.source.offset'], stored.offset, where);
    assert.equal(dead.key, entry.key, `key of ${where}`);
    assert.ok((dead.value ?? Buffer.alloc(0)).equals(entry.value), `value of ${where}, byte for byte`);
    assert.equal(dead.value === null, stored.value === null, `an empty value stays empty, not null (${where})`);
    for (const [name, value] of Object.entries(entry.headers)) assert.equal(dead.headers[name], value, `header ${name} of ${where}`);
    // Every header of the input as the broker stored it, byte for byte and in order, beside the kascade.error.* ones.
    assert.deepEqual(
      dead.headerList.filter(([name]) => !name.startsWith('kascade.error.')),
      stored.headerList,
      `headers of ${where}, byte for byte`,
    );
  }

  // Every good record is served once, and its prediction is the one the run without poison wrote, in the same order per partition.
  assert.deepEqual(tally(good.map((entry) => entry.id), (await decodeAvro<Served>(poisoned.outputs)).map((prediction) => prediction.id)), { missing: [], duplicated: [], unexpected: [] });
  const [withPoison, withoutPoison] = await Promise.all([predictionsOf(poisoned.outputs), predictionsOf(clean.outputs)]);
  assert.equal(withoutPoison.byId.size, good.length);
  assert.deepEqual(withPoison.byId, withoutPoison.byId);
  assert.deepEqual(withPoison.order, withoutPoison.order);
  assert.deepEqual(clean.deadLetters, [], 'the run without poison dead-letters nothing');
}

/** The clean run's predictions against the logistic regression computed in float64: the reference is right. */
function assertScored(stage: StageName, clean: StageRun, predictions: ReadonlyMap<string, Served>): void {
  const cohorts = new Map(['a', 'b', 'c', 'd'].map((cohort) => [`ctr-cohort-${cohort}`, readWeights(`ctr-cohort-${cohort}`)]));
  const single = readWeights('ctr-logreg');
  for (const [id, prediction] of predictions) {
    const index = Number(id.slice(2));
    const weights = stage === 'keyed' ? cohorts.get(prediction.modelId) : single;
    assert.ok(weights !== undefined, `model ${prediction.modelId} of ${id}`);
    if (stage === 'keyed') assert.equal(prediction.modelId, `ctr-cohort-${USERS[index % USERS.length]!.charAt(0)}`, id);
    assert.ok(Math.abs(prediction.probability - logistic(weights, featuresFor(index))) < 1e-5, `probability of ${id}`);
  }
  assert.equal(clean.counters['deadLettered'], 0);
}

const STAGES: readonly { readonly name: StageName; readonly what: string; readonly inputs: (run: PoisonRun, withPoison: boolean) => Promise<Input[]> }[] = [
  {
    name: 'avro',
    what: 'Avro input: empty value, bad magic byte, unknown schema id, truncated body, NaN and Infinity features, 31 features, an output over max.message.bytes',
    inputs: (run, withPoison) => avroInputs(run, withPoison),
  },
  { name: 'json', what: 'JSON input: empty value, 31 features, 1e400 and -1e400 features', inputs: (_run, withPoison) => Promise.resolve(jsonInputs(withPoison)) },
  { name: 'keyed', what: 'keyed inference: keys no model serves', inputs: (_run, withPoison) => Promise.resolve(keyedInputs(withPoison)) },
];

for (const delivery of ['at-least-once', 'exactly-once'] as const) {
  test(`poison matrix (${delivery}): every poison record is dead-lettered with its code, the good records come out as without poison`, async (t) => {
    for (const stage of STAGES) {
      await t.test(stage.what, async () => {
        const poisonedRun = new PoisonRun(delivery);
        await poisonedRun.prepare();
        const inputs = await stage.inputs(poisonedRun, true);
        const poisoned = await poisonedRun.process(stage.name, inputs);
        const cleanRun = new PoisonRun(delivery);
        await cleanRun.prepare();
        const clean = await cleanRun.process(stage.name, await stage.inputs(cleanRun, false));

        await assertPoisonHandled(stage.name, inputs, poisoned, clean);
        assertScored(stage.name, clean, (await predictionsOf(clean.outputs)).byId);
      });
    }
  });
}

test('the pace of good records with 10% poison mixed in, against none (Avro stage, at-least-once): reported, and the poisoned runs never pause or retry', async (t) => {
  // Runs alternate (poisoned, clean, clean, poisoned, poisoned, clean) so that warm-up and the
  // load of other tests on the machine fall on both sides; medians of three each.
  const rates: Record<'poisoned' | 'clean', number[]> = { poisoned: [], clean: [] };
  for (const kind of ['poisoned', 'clean', 'clean', 'poisoned', 'poisoned', 'clean'] as const) {
    const run = new PoisonRun('at-least-once');
    await run.prepare();
    const inputs = await avroInputs(run, kind === 'poisoned', 3600);
    const result = await run.process('avro', inputs);
    const poison = inputs.filter((entry) => entry.poison !== undefined).length;
    assert.equal(poison, kind === 'poisoned' ? 400 : 0);
    assert.deepEqual([result.counters['written'], result.counters['deadLettered']], [3600, poison]);
    assert.deepEqual(result.logs.filter((line) => /systemic failure|stage failed|consumer crashed|"level":"error"/.test(line)), []);
    rates[kind].push(result.goodPerSecond);
  }
  const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const [clean, poisoned] = [median(rates.clean), median(rates.poisoned)];
  t.diagnostic(
    `good records/s, median of 3 runs of 3,600 good records: ${clean.toFixed(0)} without poison (${rates.clean.map((rate) => rate.toFixed(0)).join(', ')}), ` +
      `${poisoned.toFixed(0)} with 400 poison records mixed in (${rates.poisoned.map((rate) => rate.toFixed(0)).join(', ')}): ratio ${(poisoned / clean).toFixed(2)}`,
  );
});

for (const delivery of ['at-least-once', 'exactly-once'] as const) {
  test(`a topic limit lowered while the stage runs (${delivery}): the broker's refusal makes the stage read the limits again, dead-letter what no longer fits and write the rest`, async () => {
    const run = new PoisonRun(delivery);
    await run.prepare();
    const predictions = run.topic('avro-predictions');
    const topic = run.topic('avro-requests');
    const running = await run.start('avro');
    try {
      // After the stage read 32 KiB at start, the topic now takes 8 KiB batches.
      const lowered = 8192;
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: predictions, configEntries: [{ name: 'max.message.bytes', value: String(lowered) }] }],
        });
        await waitFor(
          async () => {
            const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: predictions, configNames: ['max.message.bytes'] }] });
            return described.resources[0]?.configEntries[0]?.configValue === String(lowered);
          },
          { what: `max.message.bytes of ${predictions} to be ${String(lowered)}` },
        );
      } finally {
        await admin.disconnect();
      }
      // Notes of 12,000 bytes: their predictions fitted the limit the stage read, not the one the broker now applies.
      const schemaId = await createHttpSchemaRegistryClient(connection).register(`${topic}-value`, REQUEST_SCHEMA);
      const inputs = Array.from({ length: 300 }, (_, index): Input => {
        const medium = index % 10 === 4;
        const id = `${medium ? 'm' : 'g'}-${String(index)}`;
        const value = encodeConfluentFrame(schemaId, requestType.toBuffer({ id, note: medium ? 'm'.repeat(12_000) : `note ${String(index)}`, features: featuresFor(index) }));
        const message = new RegExp(`^output to topic "${escape(predictions)}" takes \\d+ bytes as a record batch .*more than the topic's max\\.message\\.bytes of ${String(lowered)}$`);
        return { id, key: id, value, headers: headersOf(id), ...(medium ? { poison: { kind: 'medium', code: Code.tooLarge, message } } : {}) };
      });
      await produce(topic, inputs);
      await waitFor(() => Number(running.stats()['avro']?.['consumed']) >= inputs.length, { what: 'the stage to consume every record', timeoutMs: 120_000 });
      const [outputs, deadLetters] = await Promise.all([readAll(kafka, predictions), readAll(kafka, `${topic}.dlq`)]);

      const medium = inputs.filter((entry) => entry.poison !== undefined);
      assert.deepEqual(deadLetters.map((record) => record.headers['x-test-id']).sort(), medium.map((entry) => entry.id).sort());
      for (const dead of deadLetters) {
        assert.equal(dead.headers['kascade.error.code'], Code.tooLarge);
        assert.match(dead.headers['kascade.error.message'] ?? '', medium[0]!.poison!.message);
      }
      const served = tally(
        inputs.filter((entry) => entry.poison === undefined).map((entry) => entry.id),
        (await decodeAvro<Served>(outputs)).map((prediction) => prediction.id),
      );
      assert.deepEqual(served.missing, []);
      assert.deepEqual(served.unexpected, []);
      // Records of a refused request that other partitions accepted are written again on the retry: at-least-once.
      if (delivery === 'exactly-once') assert.deepEqual(served.duplicated, []);
      const refusals = run.logs.filter((line) => line.includes('systemic failure') && line.includes('larger than the max message size'));
      assert.ok(refusals.length >= 1, 'the broker refused a batch once before the stage knew the new limit');
      assert.deepEqual(run.logs.filter((line) => line.includes('stage failed')), []);
    } finally {
      await running.stop();
    }
  });
}
