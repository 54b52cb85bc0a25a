import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { groupMessagesPerPartition, type GroupingInput } from '../../src/kafka/partition-grouping.js';

const require = createRequire(import.meta.url);
// This file never loads src/kafka/client.ts: kafkajs's own grouping is in place.
const kafkajsGrouping = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (input: GroupingInput<{ key: string }>) => Record<number, { key: string }[]>;

test("messages are grouped by the partitioner's choice, in the order given, as kafkajs groups them", () => {
  const messages = Array.from({ length: 1000 }, (_, index) => ({ key: `k${String((index * 7) % 13)}` }));
  const input: GroupingInput<{ key: string }> = {
    topic: 't',
    partitionMetadata: [{}, {}, {}, {}],
    messages,
    partitioner: ({ message }) => Number(message.key.slice(1)) % 4,
  };
  const grouped = groupMessagesPerPartition(input);
  assert.deepEqual(grouped, kafkajsGrouping(input));
  assert.equal(Object.values(grouped).reduce((sum, group) => sum + group.length, 0), 1000);
  assert.deepEqual(grouped[1], messages.filter((message) => Number(message.key.slice(1)) % 4 === 1));
});

test('a topic without partition metadata groups nothing, as in kafkajs', () => {
  const input: GroupingInput<{ key: string }> = { topic: 't', partitionMetadata: [], messages: [{ key: 'a' }], partitioner: () => 0 };
  assert.deepEqual(groupMessagesPerPartition(input), {});
  assert.deepEqual(kafkajsGrouping(input), {});
});
