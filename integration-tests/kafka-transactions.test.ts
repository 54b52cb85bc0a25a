import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { collect, createTopic, testKafka, uniqueName } from './helpers/kafka.js';

const kafka = testKafka('transactions');

test('an aborted transaction is invisible to read_committed consumers and a committed one is visible', async () => {
  const topic = uniqueName('transactions');
  await createTopic(kafka, topic, 2);
  const producer = createProducer(kafka, { transactionalId: uniqueName('tx') });
  await producer.connect();
  try {
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: ['a1', 'a2', 'a3'].map((value) => ({ key: value, value })) });
    await aborted.abort();

    const committed = await producer.transaction();
    await committed.send({ topic, messages: ['c1', 'c2', 'c3', 'c4'].map((value) => ({ key: value, value })) });
    await committed.commit();
  } finally {
    await producer.disconnect();
  }

  // The uncommitted reader proves the aborted records really are in the log.
  const uncommitted = await collect(kafka, topic, { readCommitted: false });
  const readCommitted = await collect(kafka, topic, { readCommitted: true });
  try {
    await uncommitted.waitForCount(7);
    await readCommitted.waitForCount(4);
  } finally {
    await Promise.all([uncommitted.stop(), readCommitted.stop()]);
  }
  const values = (records: typeof uncommitted.records): string[] => records.map((record) => String(record.value)).sort();
  assert.deepEqual(values(uncommitted.records), ['a1', 'a2', 'a3', 'c1', 'c2', 'c3', 'c4']);
  // The committed records come after the aborted ones in every partition, so once they have been
  // read every aborted record would have been delivered already, had it been visible.
  assert.deepEqual(values(readCommitted.records), ['c1', 'c2', 'c3', 'c4']);
});
