import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { featuresFor, logistic, readWeights } from '../test/helpers/ctr-model.js';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { testKafka } from './helpers/kafka.js';
import { InferenceFixture, INFERENCE_FILE, requests } from './helpers/in-process.js';
import { decodeAvro, readAll, waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

const kafka = testKafka('inference');

interface Prediction {
  readonly id: string;
  readonly user: string;
  readonly probability: number;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly requestId: string;
  readonly inferenceMs: number;
}

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6'];

test('kascade run scores 1,000 records on the real broker exactly as the model\'s weights say; 7 malformed of 100 are dead-lettered with the reason', async () => {
  const fixture = new InferenceFixture();
  const good = requests(1000, USERS);
  await fixture.produce(kafka, fixture.topic('requests'), good);
  const malformed = [
    { id: 'bad-0', user: 'u0' },
    { id: 'bad-1', user: 'u1', features: featuresFor(1).slice(0, 31) },
    { id: 'bad-2', user: 'u2', features: [...featuresFor(2).slice(0, 31), 'x'] },
    { id: 'bad-3', user: 'u3', features: 'nope' },
    { id: 'bad-4', user: 'u4', features: featuresFor(4).map((value, index) => (index === 0 ? 1e40 : value)) },
    { id: 'bad-5', user: 'u5', features: [] },
    { id: 'bad-6', user: 'u6', features: { not: 'an array' } },
  ];
  const shapes = requests(93, USERS, 'shape', 5000);
  await fixture.produce(kafka, fixture.topic('requests'), shapes);
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({ topic: fixture.topic('requests'), messages: malformed.map((value) => ({ key: value.user, value: JSON.stringify(value) })) });
  await producer.disconnect();

  const stage = await StageProcess.start([INFERENCE_FILE, '--stage', 'score'], fixture.env, 1);
  try {
    await waitForRecords(kafka, fixture.topic('predictions'), good.length + shapes.length);
    const predictions = await decodeAvro<Prediction>(await readAll(kafka, fixture.topic('predictions')));
    assert.equal(predictions.length, good.length + shapes.length);

    const weights = readWeights('ctr-logreg');
    const version = `sha256:${createHash('sha256').update(readFileSync('models/ctr-logreg.onnx')).digest('hex').slice(0, 12)}`;
    const expected = new Map([...good, ...shapes].map((request) => [request.id, logistic(weights, featuresFor(request.index))]));
    let worst = 0;
    for (const prediction of predictions) {
      const want = expected.get(prediction.id);
      assert.ok(want !== undefined, `unexpected prediction ${prediction.id}`);
      worst = Math.max(worst, Math.abs(prediction.probability - want));
      assert.equal(prediction.modelId, 'ctr-logreg');
      assert.equal(prediction.modelVersion, version);
      assert.equal(prediction.requestId, prediction.id);
    }
    assert.ok(worst < 1e-5, `largest difference from the independent computation: ${worst}`);
    assert.equal(new Set(predictions.map((prediction) => prediction.id)).size, predictions.length);

    const deadLetters = await readAll(kafka, `${fixture.topic('requests')}.dlq`);
    assert.deepEqual(deadLetters.map((record) => (JSON.parse(String(record.value)) as { id: string }).id).sort(), malformed.map((value) => value.id).sort());
    for (const dead of deadLetters) {
      assert.equal(dead.headers['kascade.error.code'], 'KASCADE_TENSOR_MAPPING_FAILED');
      assert.match(dead.headers['kascade.error.message']!, /^model ctr-logreg: (field "features"|the record value)/);
    }
  } finally {
    await stage.kill('SIGTERM');
  }
});

test('a backlog is served in batches of up to maxSize; a lone record with the worker free runs at once, not after maxWaitMs', async () => {
  // maxWaitMs of a minute: a record that waited for it would not be served within the test.
  const fixture = new InferenceFixture({ KASCADE_MAX_WAIT_MS: '60000' });
  const steady = requests(64 * 10, USERS);
  await fixture.produce(kafka, fixture.topic('requests'), steady);
  const running = await fixture.start('score');
  try {
    await waitForRecords(kafka, fixture.topic('predictions'), steady.length);
    const afterSteady = running.stats()['score']!;
    assert.equal(afterSteady['batches.rows'], 640);
    // How the 640 split depends on when partitions' chunks arrive; one run per record, or
    // runs above maxSize, would mean batching is broken.
    const runs = Number(afterSteady['batches.runs']);
    assert.ok(runs >= 10 && runs <= 40, `640 records in ${runs} runs: ${JSON.stringify(afterSteady)}`);
    assert.ok(Number(afterSteady['batches.fullRuns']) >= 1, JSON.stringify(afterSteady));

    await fixture.produce(kafka, fixture.topic('requests'), requests(1, USERS, 'lone', 9000));
    await waitForRecords(kafka, fixture.topic('predictions'), steady.length + 1, 30_000);
    const afterLone = running.stats()['score']!;
    assert.equal(afterLone['batches.runs'], runs + 1);
    assert.equal(afterLone['batches.rows'], 641);
    const waited = Number(afterLone['batches.maxQueueWaitMs']);
    assert.ok(waited < 30_000, `a record waited ${waited} ms for company with the worker free`);
  } finally {
    await running.stop();
  }
});

test('a heavy model runs for seconds in worker threads: the event loop keeps ticking and the consumer keeps its group membership', async () => {
  const fixture = new InferenceFixture({ KASCADE_MODEL_ID: 'heavy-mlp', KASCADE_MODEL_FILE: 'heavy-mlp.onnx', KASCADE_MODEL_OUTPUT: 'score' });
  // 6 full batches at about 1.5 s each: more inference time than the 6 s session timeout.
  const heavy = requests(64 * 6, USERS);
  await fixture.produce(kafka, fixture.topic('requests'), heavy);
  const running = await fixture.start('score');
  let ticks = 0;
  let longestGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const started = performance.now();
  try {
    await waitForRecords(kafka, fixture.topic('predictions'), heavy.length, 120_000);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    const stats = running.stats()['score']!;
    assert.ok(elapsed > 6000, `the run took ${Math.round(elapsed)} ms, longer than the session timeout`);
    assert.ok(ticks > elapsed / 10 / 3, `${ticks} ticks of a 10 ms timer in ${Math.round(elapsed)} ms`);
    assert.ok(longestGap < 1000, `longest gap between ticks: ${Math.round(longestGap)} ms`);
    const joins = fixture.logs.filter((line) => line.includes('"msg":"joined consumer group"')).length;
    assert.equal(joins, 1, 'one group join: never evicted, never rebalanced');
    assert.equal(stats['consumed'], heavy.length);
  } finally {
    clearInterval(timer);
    await running.stop();
  }
});
