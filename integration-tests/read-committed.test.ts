import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import type { Producer } from 'kafkajs';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { readTopic } from '../src/kafka/operator/topic-reader.js';
import { runEchoStage } from './helpers/echo-stage.js';
import { waitForGroupCaughtUp } from './helpers/group-progress.js';
import { waitFor } from './helpers/wait-for.js';
import { connection, testKafka, uniqueName, type ReceivedRecord, testAccess } from './helpers/kafka.js';
import { readAll } from './helpers/read-topic.js';

const kafka = testKafka('read-committed');
const topic = uniqueName('read-committed');
const producers: Producer[] = [];
const MAX_MESSAGE_BYTES = 4096;

/**
 * One partition holding, in offset order: a plain record, two transactions of two producers
 * interleaved (producer 2 aborts first, so the broker lists the aborted transactions in an order
 * other than their first offsets), a committed transaction, a plain record, then two aborted
 * transactions of one producer and a last plain record:
 *   0 before | 1 p1-a | 2 p2 | 3 p1-b | 4 abort(p2) | 5 abort(p1) | 6 p3-committed | 7 commit(p3) | 8 after
 *   9 p4-first | 10 abort(p4) | 11 p4-second | 12 abort(p4) | 13 end | 14 abort(p5) | 15 last
 * p5's transaction registered the partition but wrote nothing there (its record was too large for
 * the topic), so no fetch response lists it as aborted: @platformatic/kafka 1.x's own filter
 * throws on such a marker when the response lists other aborted transactions.
 * Stock kafkajs reading from offset 3 hands over p1-b; @platformatic/kafka's own filter hands over
 * p4-first (docs/kafka-clients.md).
 */
before(async () => {
  const topicAdmin = kafka.admin();
  await topicAdmin.connect();
  await topicAdmin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }] }], waitForLeaders: true });
  await topicAdmin.disconnect();
  const transactional = (name: string): Producer => {
    const producer = createProducer(kafka, { transactionalId: `${topic}.${name}` });
    producers.push(producer);
    return producer;
  };
  const [p1, p2, p3] = [transactional('p1'), transactional('p2'), transactional('p3')];
  const plain = createProducer(kafka);
  producers.push(plain);
  await Promise.all(producers.map((producer) => producer.connect()));
  const send = (id: string) => ({ topic, messages: [{ value: JSON.stringify({ id }), partition: 0 }] });
  // The coordinator writes a transaction's marker after it answered the commit or abort: the
  // layout above holds only if each marker is in the log before the next write.
  // The high watermark, read_uncommitted (kafkajs's admin reads the last stable offset).
  const admin = new Admin({ clientId: 'kascade-test-read-committed', bootstrapBrokers: [...connection.brokers] });
  const highWatermark = async (): Promise<bigint | undefined> =>
    (await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }], isolationLevel: 0 }))[0]?.partitions[0]?.offset;
  const logEndsAt = (end: number): Promise<void> => waitFor(async () => (await highWatermark()) === BigInt(end), { what: `${topic} to end at offset ${end}` });
  await plain.send(send('before'));
  const t1 = await p1.transaction();
  await t1.send(send('p1-a'));
  const t2 = await p2.transaction();
  await t2.send(send('p2'));
  await t1.send(send('p1-b'));
  await t2.abort();
  await logEndsAt(5);
  await t1.abort();
  await logEndsAt(6);
  const t3 = await p3.transaction();
  await t3.send(send('p3-committed'));
  await t3.commit();
  await logEndsAt(8);
  await plain.send(send('after'));
  const p4 = transactional('p4');
  await p4.connect();
  for (const [value, end] of [['p4-first', 11], ['p4-second', 13]] as const) {
    const aborted = await p4.transaction();
    await aborted.send(send(value));
    await aborted.abort();
    await logEndsAt(end);
  }
  await plain.send(send('end'));
  const p5 = transactional('p5');
  await p5.connect();
  const empty = await p5.transaction();
  await assert.rejects(empty.send({ topic, messages: [{ value: 'x'.repeat(2 * MAX_MESSAGE_BYTES), partition: 0 }] }), /larger than the max message size/);
  await empty.abort();
  await logEndsAt(15);
  await plain.send(send('last'));
  await admin.close();
});

after(async () => {
  await Promise.all(producers.map((producer) => producer.disconnect()));
});

const idOf = (value: Buffer | null): string => (JSON.parse(value?.toString() ?? '{}') as { id: string }).id;

async function valuesFrom(offset: string): Promise<{ offset: string; value: string }[]> {
  const read: { offset: string; value: string }[] = [];
  await readTopic(testAccess, { topic, from: { kind: 'offset', offset } }, { onRecord: (record) => void read.push({ offset: record.offset, value: idOf(record.value) }) });
  return read;
}

test('the topic reader drops every aborted transaction, listed in any order', async () => {
  assert.deepEqual(await valuesFrom('0'), [
    { offset: '0', value: 'before' },
    { offset: '6', value: 'p3-committed' },
    { offset: '8', value: 'after' },
    { offset: '13', value: 'end' },
    { offset: '15', value: 'last' },
  ]);
});

test('the topic reader drops aborted transactions that began before its first offset', async () => {
  for (const from of ['2', '3']) {
    assert.deepEqual(
      (await valuesFrom(from)).map((record) => record.value),
      ['p3-committed', 'after', 'end', 'last'],
      `reading from offset ${from}`,
    );
  }
});

test('a stage reading the topic (read_committed, default client) processes the committed records only', async () => {
  const { running, group, output, logs } = await runEchoStage(topic, 1);
  try {
    await waitForGroupCaughtUp(kafka, group, topic);
    const echoed = await readAll(kafka, output);
    assert.deepEqual(
      echoed.map((record: ReceivedRecord) => idOf(record.value)),
      ['before', 'p3-committed', 'after', 'end', 'last'],
      logs.slice(-10).join('\n'),
    );
  } finally {
    await running.stop();
  }
});
