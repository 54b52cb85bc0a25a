import assert from 'node:assert/strict';
import { test } from 'node:test';
import { featuresFor, logistic, readWeights } from '../test/helpers/ctr-model.js';
import { testKafka } from './helpers/kafka.js';
import { InferenceFixture, requests } from './helpers/in-process.js';
import { decodeAvro, readAll, waitForRecords } from './helpers/read-topic.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('keyed-inference');
/** 8 users per cohort: a0..a7 are cohort a's, and so on (see fixtures/inference.yaml). */
const USERS = ['a', 'b', 'c', 'd'].flatMap((cohort) => Array.from({ length: 8 }, (_, index) => `${cohort}${index}`));

test('keyed inference: each record is scored by its cohort\'s model; with 2 of 4 models loaded, evicted sessions are released', async () => {
  const fixture = new InferenceFixture();
  const batch = requests(400, USERS);
  await fixture.produce(kafka, fixture.topic('cohort-requests'), batch, false);
  const running = await fixture.start('cohorts');
  try {
    await waitForRecords(kafka, fixture.topic('cohort-predictions'), batch.length);
    const predictions = await decodeAvro<{ id: string; modelId: string; probability: number }>(await readAll(kafka, fixture.topic('cohort-predictions')));
    assert.equal(predictions.length, batch.length);
    const byId = new Map(batch.map((request) => [request.id, request]));
    const weights = new Map(['a', 'b', 'c', 'd'].map((cohort) => [cohort, readWeights(`ctr-cohort-${cohort}`)]));
    for (const prediction of predictions) {
      const request = byId.get(prediction.id)!;
      const cohort = request.user.charAt(0);
      assert.equal(prediction.modelId, `ctr-cohort-${cohort}`, `${request.id} of ${request.user}`);
      assert.ok(Math.abs(prediction.probability - logistic(weights.get(cohort)!, featuresFor(request.index))) < 1e-5);
    }
    const stats = running.stats()['cohorts']!;
    assert.ok(Number(stats['models.loads']) >= 4, `loads ${stats['models.loads']}`);
    assert.ok(Number(stats['models.evictions']) >= 2, `evictions ${stats['models.evictions']}`);
    assert.ok(Number(stats['models.hits']) > 0);
    const loaded = String(stats['loaded']).split(',');
    assert.ok(loaded.length <= 2, `loaded: ${loaded.join(',')}`);
    // Every eviction released its session: the worker pool holds exactly the loaded models.
    assert.equal(fixture.liveSessions[0]!.size, loaded.length);
  } finally {
    await running.stop();
  }
  assert.equal(fixture.liveSessions[0]!.size, 0, 'stopping releases every session');
});

/** Two instances of the keyed stage in one group; returns the evictions after warm-up, per instance. */
async function steadyStateEvictions(colocated: boolean): Promise<number[]> {
  const fixture = new InferenceFixture();
  await fixture.load();
  const first = await fixture.start('cohorts');
  const second = await fixture.start('cohorts');
  const instances = [first, second];
  try {
    // Both members joined: the first one rejoined after the second arrived (3 joins in all).
    await waitFor(() => fixture.logs.filter((line) => line.includes('"msg":"joined consumer group"')).length >= 3, {
      what: 'two members in the group',
      timeoutMs: 30_000,
    });
    const warmUp = requests(400, USERS, 'warm');
    await fixture.produce(kafka, fixture.topic('cohort-requests'), warmUp, colocated);
    await waitForRecords(kafka, fixture.topic('cohort-predictions'), warmUp.length);
    const before = instances.map((instance) => Number(instance.stats()['cohorts']!['models.evictions']));
    const steady = requests(1200, USERS, 'steady', 400);
    await fixture.produce(kafka, fixture.topic('cohort-requests'), steady, colocated);
    await waitForRecords(kafka, fixture.topic('cohort-predictions'), warmUp.length + steady.length);
    return instances.map((instance, index) => Number(instance.stats()['cohorts']!['models.evictions']) - (before[index] ?? 0));
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

test('colocation: with 4 models, 2 instances and maxModelsPerWorker 2, cohort partitioning causes no evictions after warm-up; key hashing thrashes', async (t) => {
  const colocated = await steadyStateEvictions(true);
  const hashed = await steadyStateEvictions(false);
  t.diagnostic(`steady-state evictions per instance: colocated ${colocated.join(' + ')}, key-hash ${hashed.join(' + ')}`);
  assert.deepEqual(colocated, [0, 0]);
  assert.ok(hashed[0]! + hashed[1]! > 0, 'key-hash partitioning makes instances swap models');
});
