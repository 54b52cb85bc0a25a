import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topology } from '../../src/topology/builder.js';
import { readsTransactions, type TopologySpec } from '../../src/topology/spec.js';

/** in -> a -> mid -> b -> out -> c -> last, with a's and b's guarantees as given (c: the default). */
function chain(a: 'at-least-once' | 'exactly-once', b: 'at-least-once' | 'exactly-once'): TopologySpec {
  return topology('t')
    .topic('in', { partitions: 2, external: true })
    .stage({ name: 'a', type: 'transform', input: 'in', function: 'f', output: 'mid', delivery: a })
    .stage({ name: 'b', type: 'transform', input: 'mid', function: 'f', output: 'out', delivery: b })
    .stage({ name: 'c', type: 'transform', input: 'out', function: 'f', output: 'last' })
    .build();
}

const readerOf = (spec: TopologySpec, name: string): boolean => {
  const stage = spec.stages.find((candidate) => candidate.name === name);
  assert.ok(stage !== undefined);
  return readsTransactions(spec, stage);
};

test('an at-least-once stage fed by an exactly-once stage reads transactions; one fed by an external topic does not', () => {
  const spec = chain('exactly-once', 'at-least-once');
  assert.equal(readerOf(spec, 'b'), true);
  assert.equal(readerOf(spec, 'a'), false, 'in is written by someone else');
});

test('only the stages right after an exactly-once stage read transactions', () => {
  const spec = chain('at-least-once', 'exactly-once');
  assert.deepEqual(spec.stages.map((stage) => readsTransactions(spec, stage)), [false, false, true]);
});

test('nothing reads transactions in an at-least-once topology', () => {
  const spec = chain('at-least-once', 'at-least-once');
  assert.deepEqual(spec.stages.map((stage) => readsTransactions(spec, stage)), [false, false, false]);
});
