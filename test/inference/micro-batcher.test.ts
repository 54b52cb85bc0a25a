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

/** A run function whose runs end when the test says so. */
function gatedRuns(): { runs: string[][]; finish: () => void; run: (group: string, items: readonly string[]) => Promise<string[]> } {
  const runs: string[][] = [];
  const waiting: (() => void)[] = [];
  return {
    runs,
    finish: () => waiting.shift()?.(),
    run: (_, items) => {
      runs.push([...items]);
      return new Promise((resolve) => waiting.push(() => resolve(items.map((item) => item.toUpperCase()))));
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("while no run is computing, a partial batch goes out after the caller's turn, with everything the caller submitted in it", async () => {
  const { runs, finish, run } = gatedRuns();
  const batcher = new MicroBatcher<string, string>({ maxSize: 64, maxWaitMs: 60_000, run });
  const outputs = Promise.all(['a', 'b', 'c'].map((item) => batcher.submit('m', item)));
  assert.deepEqual(runs, [], 'not before the caller is done submitting');
  await nextTurn();
  assert.deepEqual(runs, [['a', 'b', 'c']], 'did not wait maxWaitMs (a minute here)');
  finish();
  assert.deepEqual(await outputs, ['A', 'B', 'C']);
});

test('while the workers are busy, a partial batch gathers company until a run ends', async () => {
  const { runs, finish, run } = gatedRuns();
  const batcher = new MicroBatcher<string, string>({ maxSize: 64, maxWaitMs: 60_000, concurrency: 1, run });
  const first = batcher.submit('m', 'a');
  await nextTurn();
  const later = ['b', 'c', 'd'].map((item) => batcher.submit('m', item));
  await nextTurn();
  const more = batcher.submit('m', 'e');
  await nextTurn();
  assert.deepEqual(runs, [['a']], 'the worker is busy: b..e wait');
  finish();
  assert.equal(await first, 'A');
  await nextTurn();
  assert.deepEqual(runs, [['a'], ['b', 'c', 'd', 'e']], 'they went out together when the run ended');
  finish();
  assert.deepEqual(await Promise.all([...later, more]), ['B', 'C', 'D', 'E']);
});

test('with two workers, two partial batches compute at once; a third waits', async () => {
  const { runs, finish, run } = gatedRuns();
  const batcher = new MicroBatcher<string, string>({ maxSize: 64, maxWaitMs: 60_000, concurrency: 2, run });
  const all = [batcher.submit('m', 'a')];
  await nextTurn();
  all.push(batcher.submit('m', 'b'));
  await nextTurn();
  all.push(batcher.submit('m', 'c'));
  await nextTurn();
  assert.deepEqual(runs, [['a'], ['b']]);
  finish();
  await nextTurn();
  assert.deepEqual(runs, [['a'], ['b'], ['c']]);
  finish();
  finish();
  assert.deepEqual(await Promise.all(all), ['A', 'B', 'C']);
});

test('a partial batch waits at most maxWaitMs while the workers are busy', async () => {
  const { runs, finish, run } = gatedRuns();
  const batcher = new MicroBatcher<string, string>({ maxSize: 64, maxWaitMs: 20, run });
  const busy = batcher.submit('m', 'busy');
  await nextTurn();
  const lone = batcher.submit('m', 'lone');
  while (runs.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(runs, [['busy'], ['lone']], 'the timer sent it although the first run had not ended');
  finish();
  finish();
  assert.deepEqual(await Promise.all([busy, lone]), ['BUSY', 'LONE']);
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
