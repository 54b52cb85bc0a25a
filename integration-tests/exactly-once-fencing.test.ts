import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionKey, PartitionTakenError, TransactionalWriter } from '../src/kafka/kafkajs/transactional-writer.js';
import type { OutgoingRecord } from '../src/runtime/record.js';
import { collect, createTopic, testKafka, uniqueName } from './helpers/kafka.js';

const kafka = testKafka('exactly-once-fencing');

/** The outputs of input offsets [from, to), tagged with who wrote them. */
function outputs(topic: string, writer: string, from: number, to: number): OutgoingRecord[] {
  return Array.from({ length: to - from }, (_, index) => ({ topic, key: null, value: Buffer.from(`${writer}-${from + index}`), headers: [] }));
}

async function committedOffset(group: string, topic: string): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return offsets?.partitions.find((entry) => entry.partition === 0)?.offset;
  } finally {
    await admin.disconnect();
  }
}

test('a zombie writer never writes a partition its successor took: fenced, it does not claim it back; claiming anew, it finds the successor\'s progress', async () => {
  const input = uniqueName('eos-in');
  const output = uniqueName('eos-out');
  const group = uniqueName('eos-group');
  await createTopic(kafka, input, 1);
  await createTopic(kafka, output, 1);
  const zombie = new TransactionalWriter(kafka, group);
  const successor = new TransactionalWriter(kafka, group);
  const owned = new Set([partitionKey(input, 0)]);
  try {
    await zombie.commit(input, 0, outputs(output, 'zombie', 0, 10), '0', '10');
    // The successor took the partition over from offset 10 and claimed its transactional id.
    await successor.commit(input, 0, outputs(output, 'successor', 10, 20), '10', '20');

    // The zombie wakes with offsets 10..19 in hand: its producer is fenced, and it stays off the partition.
    await assert.rejects(zombie.commit(input, 0, outputs(output, 'fenced', 10, 20), '10', '20'), (error: unknown) => {
      assert.ok(error instanceof PartitionTakenError);
      assert.match(error.message, /a newer producer fenced this one/);
      return true;
    });
    await assert.rejects(zombie.commit(input, 0, outputs(output, 'fenced', 10, 20), '10', '20'), /taken over earlier in this assignment/);

    // A new assignment that still lists the partition (the zombie joined again before learning
    // otherwise): its new producer claims the id, then finds offset 20 committed past its records.
    await zombie.retain(owned);
    await assert.rejects(zombie.commit(input, 0, outputs(output, 'stale', 10, 20), '10', '20'), /its committed offset is 20, and this member's records start at 10/);

    // That claim fenced the successor's producer: the successor joins again and goes on from 20.
    await assert.rejects(successor.commit(input, 0, outputs(output, 'successor', 20, 25), '20', '25'), PartitionTakenError);
    assert.equal(successor.writtenUpTo(input, 0), undefined, 'a taken partition forgets what this writer committed');
    await successor.retain(owned);
    await successor.commit(input, 0, outputs(output, 'successor', 20, 25), '20', '25');
    // What it committed survives a rebalance that leaves it the partition (a stage drops records
    // below it, should kafkajs resume lower), and is forgotten with a partition it loses.
    await successor.retain(owned);
    assert.equal(successor.writtenUpTo(input, 0), 25n);
    await successor.retain(new Set());
    assert.equal(successor.writtenUpTo(input, 0), undefined);
  } finally {
    await Promise.all([zombie.close(), successor.close()]);
  }

  assert.equal(await committedOffset(group, input), '25');
  const reader = await collect(kafka, output, { readCommitted: true });
  try {
    // One partition: once the last record is read, every visible record before it was too.
    await reader.waitUntil((records) => records.some((record) => record.value?.toString() === 'successor-24'), 'the successor\'s last output');
  } finally {
    await reader.stop();
  }
  const expected = [...outputs(output, 'zombie', 0, 10), ...outputs(output, 'successor', 10, 25)].map((record) => record.value?.toString());
  assert.deepEqual(
    reader.records.map((record) => record.value?.toString()),
    expected,
  );
});
