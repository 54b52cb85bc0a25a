import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colocatedPartition } from '../../src/routing/colocation.js';
import { partitionForKey } from '../../src/routing/partitioner.js';

const stage = {
  models: ['d', 'a', 'c', 'b'].map((cohort) => ({ id: `m-${cohort}`, path: `${cohort}.onnx`, keys: Array.from({ length: 10 }, (_, index) => `${cohort}${index}`) })),
  defaultModel: undefined,
};
const keysOf = (cohort: string) => Array.from({ length: 10 }, (_, index) => `${cohort}${index}`);

test('with as many partitions as models, each model owns one partition', () => {
  ['a', 'b', 'c', 'd'].forEach((cohort, index) => {
    assert.deepEqual(new Set(keysOf(cohort).map((key) => colocatedPartition(key, stage, 4))), new Set([index]), cohort);
  });
});

test('with more partitions, a model spreads over its own partitions only', () => {
  const partitions = (cohort: string) => new Set(keysOf(cohort).map((key) => colocatedPartition(key, stage, 8)));
  assert.deepEqual(partitions('a'), new Set([0, 4]));
  assert.deepEqual(partitions('d'), new Set([3, 7]));
});

test('with fewer partitions than models, models share partitions but never split', () => {
  for (const cohort of ['a', 'b', 'c', 'd']) assert.equal(new Set(keysOf(cohort).map((key) => colocatedPartition(key, stage, 3))).size, 1);
});

test('keys no model names follow the default model, else the ordinary key hash', () => {
  assert.equal(colocatedPartition('stranger', stage, 4), partitionForKey('stranger', 4));
  assert.equal(colocatedPartition('stranger', { ...stage, defaultModel: 'm-c' }, 4), 2);
});
