import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isProducerFenced } from '../../../src/kafka/kafkajs/transactional-claim.js';
import { ownership, PartitionTakenError } from '../../../src/kafka/kafkajs/transactional-writer.js';

test('a writer that committed before owns the partition only while the committed offset is still its own', () => {
  assert.equal(ownership({ committed: 120n, lastCommitted: 120n, from: 120n }), 'owned');
  // Another member committed after it (a zombie woke, or the partition moved and came back).
  assert.equal(ownership({ committed: 180n, lastCommitted: 120n, from: 120n }), 'taken');
  // Someone rewound the group (an operator reset offsets): not this writer's progress either.
  assert.equal(ownership({ committed: 60n, lastCommitted: 120n, from: 120n }), 'taken');
});

test('a writer without commits in this assignment owns the partition unless the committed offset passed its records', () => {
  assert.equal(ownership({ committed: 120n, lastCommitted: undefined, from: 120n }), 'owned');
  // A transaction marker or compaction leaves a gap between the committed offset and the first record read.
  assert.equal(ownership({ committed: 119n, lastCommitted: undefined, from: 120n }), 'owned');
  assert.equal(ownership({ committed: -1n, lastCommitted: undefined, from: 0n }), 'owned');
  assert.equal(ownership({ committed: 121n, lastCommitted: undefined, from: 120n }), 'taken');
});

test('a fenced producer is recognised by its protocol error type, also inside kafkajs wrappers', () => {
  const epoch = Object.assign(new Error('Producer attempted an operation with an old epoch'), { type: 'INVALID_PRODUCER_EPOCH' });
  const fenced = Object.assign(new Error('There is a newer producer with the same transactionalId which fences the current one'), { type: 'PRODUCER_FENCED' });
  assert.ok(isProducerFenced(epoch));
  assert.ok(isProducerFenced(fenced));
  assert.ok(isProducerFenced(new Error('retries exhausted', { cause: new Error('wrapped', { cause: epoch }) })));
  assert.ok(!isProducerFenced(Object.assign(new Error('busy'), { type: 'CONCURRENT_TRANSACTIONS' })));
  assert.ok(!isProducerFenced(new Error('old epoch, said in a message only')));
  assert.ok(!isProducerFenced(undefined));
});

test('PartitionTakenError is of kafkajs\'s rebalance type and names the partition', () => {
  const error = new PartitionTakenError('scores', 3, 'a newer producer fenced this one');
  assert.equal(error.type, 'REBALANCE_IN_PROGRESS');
  assert.equal(error.name, 'PartitionTakenError');
  assert.match(error.message, /^scores\/3 is another member's now \(a newer producer fenced this one\)/);
});
