import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelCache } from '../../src/inference/model-cache.js';

interface FakeModel {
  readonly id: string;
  readonly generation: number;
}

function cache(capacity: number) {
  const released: string[] = [];
  const loading = new Map<string, () => void>();
  let generation = 0;
  const models = new ModelCache<FakeModel>({
    capacity,
    load: (id) => Promise.resolve({ id, generation: ++generation }),
    release: (model) => {
      released.push(`${model.id}#${model.generation}`);
      return Promise.resolve();
    },
  });
  return { models, released, loading };
}

test('least recently used models are released when a new one must load', async () => {
  const { models, released } = cache(2);
  for (const id of ['a', 'b', 'a', 'c']) await models.use(id, () => Promise.resolve());
  assert.deepEqual(models.loadedIds(), ['c', 'a']);
  assert.deepEqual(released, ['b#2']);
  assert.deepEqual(models.stats, { loads: 3, evictions: 1, hits: 1, reloads: 0, reloadFailures: 0 });
});

test('a model in use is never released under a running batch; it goes once the batch is done', async () => {
  const { models, released } = cache(1);
  let finish!: () => void;
  const longRun = models.use('a', () => new Promise<void>((resolve) => (finish = resolve)));
  await new Promise((resolve) => setImmediate(resolve));
  await models.use('b', () => Promise.resolve());
  assert.deepEqual(released, [], 'a is still running, and b is more recent than a: the cache overflows for now');
  assert.deepEqual(models.loadedIds(), ['b', 'a']);
  finish();
  await longRun;
  assert.deepEqual(released, ['a#1']);
  assert.deepEqual(models.loadedIds(), ['b']);
});

test('concurrent users of a loading model share one load; other models do not wait for it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let loads = 0;
  const models = new ModelCache<string>({
    capacity: 3,
    load: async (id) => {
      loads++;
      if (id === 'slow') await gate;
      return id;
    },
    release: () => Promise.resolve(),
  });
  const slow = [models.use('slow', (model) => Promise.resolve(model)), models.use('slow', (model) => Promise.resolve(model))];
  assert.equal(await models.use('fast', (model) => Promise.resolve(model)), 'fast', 'served while slow loads');
  release();
  assert.deepEqual(await Promise.all(slow), ['slow', 'slow']);
  assert.equal(loads, 2);
});

test('replace switches to the new version for the next use and releases the old one', async () => {
  const { models, released } = cache(2);
  await models.use('a', () => Promise.resolve());
  assert.equal(await models.replace('a', { id: 'a', generation: 99 }), true);
  assert.deepEqual(released, ['a#1']);
  assert.equal(await models.use('a', (model) => Promise.resolve(model.generation)), 99);
  assert.equal(await models.replace('zzz', { id: 'zzz', generation: 5 }), false, 'not loaded: the new version is released at once');
  assert.deepEqual(released, ['a#1', 'zzz#5']);
});

test('a load failure is a retriable error (the stage pauses) and the next use tries again', async () => {
  let attempts = 0;
  const models = new ModelCache<string>({
    capacity: 1,
    load: (id) => (++attempts === 1 ? Promise.reject(new Error('ENOENT')) : Promise.resolve(id)),
    release: () => Promise.resolve(),
  });
  await assert.rejects(models.use('a', () => Promise.resolve()), (error: unknown) => {
    assert.ok(error instanceof Error && 'retriable' in error && error.retriable === true);
    assert.match(error.message, /^model a: ENOENT$/);
    return true;
  });
  assert.equal(await models.use('a', (model) => Promise.resolve(model)), 'a');
});
