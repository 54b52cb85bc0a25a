import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroBatcher } from '../../src/inference/micro-batcher.js';

test('items of concurrent callers are gathered into runs of maxSize per group, each caller getting its own outputs', async () => {
  const runs: string[] = [];
  const batcher = new MicroBatcher<number, number>({
    maxSize: 4,
    maxWaitMs: 10_000,
    run: (group, items) => {
      runs.push(`${group}:${items.join(',')}`);
      return Promise.resolve(items.map((item) => item * 10));
    },
  });
  const first = Promise.all([1, 2, 3].map((item) => batcher.submit('m', item)));
  const second = Promise.all([4, 5, 6, 7, 8].map((item) => batcher.submit('m', item)));
  batcher.flushAll();
  assert.deepEqual(await first, [10, 20, 30]);
  assert.deepEqual(await second, [40, 50, 60, 70, 80]);
  assert.deepEqual(runs, ['m:1,2,3,4', 'm:5,6,7,8']);
  assert.deepEqual({ runs: batcher.stats.runs, rows: batcher.stats.rows, fullRuns: batcher.stats.fullRuns }, { runs: 2, rows: 8, fullRuns: 2 });
});

test('a partial batch runs after maxWaitMs', async () => {
  const batcher = new MicroBatcher<string, string>({ maxSize: 64, maxWaitMs: 20, run: (_, items) => Promise.resolve(items.map((item) => item.toUpperCase())) });
  assert.equal(await batcher.submit('m', 'lone'), 'LONE');
  assert.equal(batcher.stats.runs, 1);
  assert.ok(batcher.stats.maxQueueWaitMs >= 15, `waited ${batcher.stats.maxQueueWaitMs} ms`);
});

test('groups are batched separately and a failed run fails only its own items', async () => {
  const batcher = new MicroBatcher<number, number>({
    maxSize: 2,
    maxWaitMs: 5,
    run: (group, items) => (group === 'broken' ? Promise.reject(new Error('model down')) : Promise.resolve([...items])),
  });
  const [good, bad] = await Promise.allSettled([batcher.submit('ok', 1), batcher.submit('broken', 2)]);
  assert.deepEqual(good, { status: 'fulfilled', value: 1 });
  assert.equal(bad.status, 'rejected');
});
