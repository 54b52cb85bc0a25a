import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectOptions, Collector } from '../../src/transforms/builtins/collect.js';

const collector = (options: object = {}): Collector<string> => new Collector<string>(CollectOptions.parse(options));
const item = (index: number, count: number, fields: object = {}): object => ({ request: 'r', index, count, ...fields });

test('collect writes a request once all its items arrived, items in index order, request fields kept once', () => {
  const gather = collector({ keep: ['request'] });
  assert.deepEqual(gather.add(item(0, 3, { ad: 'a' }), 'r', 10n, 0, 'o0'), { kind: 'held' });
  assert.deepEqual(gather.add(item(2, 3, { ad: 'c' }), 'r', 11n, 0, 'o2'), { kind: 'held' });
  assert.equal(gather.firstHeldOffset(), 10n);
  const done = gather.add(item(1, 3, { ad: 'b' }), 'r', 12n, 0, 'o1');
  assert.deepEqual(done, {
    kind: 'complete',
    origin: 'o1',
    value: { request: 'r', items: [{ index: 0, ad: 'a' }, { index: 1, ad: 'b' }, { index: 2, ad: 'c' }], complete: true },
  });
  assert.equal(gather.held, 0);
  assert.equal(gather.firstHeldOffset(), undefined);
});

test('collect sorts by a score, keeps the top items and only the fields asked for', () => {
  const gather = collector({ sortBy: 'score', limit: 2, itemFields: ['ad', 'score'], as: 'ranked' });
  gather.add(item(0, 3, { ad: 'a', score: 0.2 }), 'r', 0n, 0, '');
  gather.add(item(1, 3, { ad: 'b', score: 0.9 }), 'r', 1n, 0, '');
  const done = gather.add(item(2, 3, { ad: 'c', score: 0.5 }), 'r', 2n, 0, '');
  assert.deepEqual(done.kind === 'complete' && done.value, { ranked: [{ ad: 'b', score: 0.9 }, { ad: 'c', score: 0.5 }], complete: true });
  const ascending = collector({ sortBy: 'score', order: 'asc', itemFields: ['ad'] });
  ascending.add(item(0, 2, { ad: 'a', score: 3 }), 'x', 0n, 0, '');
  const first = ascending.add(item(1, 2, { ad: 'b', score: 1 }), 'x', 1n, 0, '');
  assert.deepEqual(first.kind === 'complete' && first.value, { items: [{ ad: 'b' }, { ad: 'a' }], complete: true });
});

test('collect: a single-item request completes at once; a redelivered item counts once', () => {
  const gather = collector();
  assert.equal(gather.add(item(0, 1), 'solo', 0n, 0, '').kind, 'complete');
  gather.add(item(0, 2, { v: 1 }), 'pair', 1n, 0, '');
  assert.equal(gather.add(item(0, 2, { v: 2 }), 'pair', 2n, 0, '').kind, 'held', 'the same index again does not complete the request');
  const done = gather.add(item(1, 2, { v: 3 }), 'pair', 3n, 0, '');
  assert.deepEqual(done.kind === 'complete' && done.value, { items: [{ request: 'r', index: 0, v: 2 }, { request: 'r', index: 1, v: 3 }], complete: true });
});

test('collect drops an item of a request it never saw begin (already written before a restart) as late', () => {
  const gather = collector();
  assert.deepEqual(gather.add(item(1, 2), 'r', 5n, 0, ''), { kind: 'late' });
  assert.equal(gather.held, 0);
  assert.equal(gather.firstHeldOffset(), undefined, 'a late item holds nothing back');
});

test('collect writes a request missing items when its timeout passes, marked incomplete, oldest first', () => {
  const gather = collector({ timeoutMs: 1000, keep: ['request'] });
  gather.add(item(0, 3, { ad: 'a' }), 'old', 1n, 0, 'o-old');
  gather.add(item(0, 2, { ad: 'x' }), 'new', 2n, 500, 'o-new');
  gather.add(item(1, 3, { ad: 'b' }), 'old', 3n, 600, 'o-old-1');
  assert.deepEqual(gather.expire(999), []);
  assert.deepEqual(gather.expire(1000), [
    { requestId: 'old', origin: 'o-old-1', value: { request: 'r', items: [{ index: 0, ad: 'a' }, { index: 1, ad: 'b' }], complete: false } },
  ]);
  assert.equal(gather.firstHeldOffset(), 2n, 'the commit point moves to the oldest request still held');
  assert.equal(gather.expire(1500).length, 1);
  assert.equal(gather.held, 0);
  assert.deepEqual(gather.add(item(2, 3), 'old', 9n, 1600, ''), { kind: 'late' }, 'a straggler after the timeout is late');
});

test('collect rejects items that are not items of a request, naming the field', () => {
  const gather = collector({ keep: ['user'], sortBy: 'score' });
  assert.throws(() => gather.add({ index: 0 }, 'r', 0n, 0, ''), /field "count" is missing/);
  assert.throws(() => gather.add({ index: 3, count: 3, score: 1, user: 'u' }, 'r', 0n, 0, ''), /field "index" must be an integer in \[0, 3\) \(got 3\)/);
  assert.throws(() => gather.add({ index: 0, count: 0.5, score: 1, user: 'u' }, 'r', 0n, 0, ''), /field "count" must be a positive integer/);
  assert.throws(() => gather.add({ index: 0, count: 2, score: 'high', user: 'u' }, 'r', 0n, 0, ''), /field "score" is not a finite number/);
  assert.throws(() => gather.add({ index: 0, count: 2, score: 1 }, 'r', 0n, 0, ''), /field "user" is missing/);
  gather.add({ index: 0, count: 2, score: 1, user: 'u' }, 'r', 0n, 0, '');
  assert.throws(() => gather.add({ index: 1, count: 4, score: 1 }, 'r', 1n, 0, ''), /field "count" is 4 but request r started with 2 items/);
  assert.throws(() => gather.add('text', 'r', 2n, 0, ''), /record is not an object/);
});

test('collect checkpoints: restoring forgets what a chunk that was not written added or completed', () => {
  const gather = collector();
  gather.add(item(0, 2), 'a', 0n, 0, '');
  const restore = gather.checkpoint();
  assert.equal(gather.add(item(1, 2), 'a', 1n, 0, '').kind, 'complete');
  gather.add(item(0, 2), 'b', 2n, 0, '');
  restore();
  assert.equal(gather.held, 1);
  assert.equal(gather.firstHeldOffset(), 0n);
  assert.equal(gather.add(item(1, 2), 'a', 1n, 0, '').kind, 'complete', 'the retried chunk completes the request again');
});

test('collect options are checked: unknown keys and bad values name the option', () => {
  assert.throws(() => CollectOptions.parse({ limit: 0 }), /at least 1/);
  assert.equal(CollectOptions.safeParse({ timeout: 5 }).success, false);
  assert.deepEqual(CollectOptions.parse({}), { as: 'items', keep: [], index: 'index', count: 'count', order: 'desc', timeoutMs: 30_000 });
});
