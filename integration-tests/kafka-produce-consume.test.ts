import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { collect, createTopic, testKafka, uniqueName } from './helpers/kafka.js';

const kafka = testKafka('produce-consume');
const RECORDS = 1000;
const KEYS = 20;
const PARTITIONS = 3;

interface Payload {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
}

const producer = createProducer(kafka);
before(() => producer.connect());
after(() => producer.disconnect());

test('1,000 keyed records arrive exactly once each, in order per key, each key on one partition', async () => {
  const topic = uniqueName('roundtrip');
  await createTopic(kafka, topic, PARTITIONS);

  const sent: Payload[] = Array.from({ length: RECORDS }, (_, index) => ({
    id: `r-${index}`,
    key: `user-${index % KEYS}`,
    seq: Math.floor(index / KEYS),
  }));
  // Several sends, as a stage would, so ordering across requests is exercised too.
  for (let start = 0; start < RECORDS; start += 100) {
    await producer.send({
      topic,
      messages: sent.slice(start, start + 100).map((payload) => ({ key: payload.key, value: JSON.stringify(payload) })),
    });
  }

  const collector = await collect(kafka, topic);
  try {
    await collector.waitForCount(RECORDS);
  } finally {
    await collector.stop();
  }

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const inLog = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  assert.equal(inLog, RECORDS, 'the log holds exactly the records sent (the idempotent producer wrote no duplicate)');

  const received = collector.records.map((record) => ({ partition: record.partition, payload: JSON.parse(String(record.value)) as Payload }));
  assert.equal(received.length, RECORDS);
  assert.deepEqual(new Set(received.map(({ payload }) => payload.id)), new Set(sent.map((payload) => payload.id)));

  const byKey = new Map<string, { partitions: Set<number>; seqs: number[] }>();
  for (const { partition, payload } of received) {
    const entry = byKey.get(payload.key) ?? { partitions: new Set<number>(), seqs: [] };
    entry.partitions.add(partition);
    entry.seqs.push(payload.seq);
    byKey.set(payload.key, entry);
  }
  assert.equal(byKey.size, KEYS);
  for (const [key, { partitions, seqs }] of byKey) {
    assert.equal(partitions.size, 1, `${key} is on one partition`);
    assert.deepEqual(seqs, Array.from({ length: RECORDS / KEYS }, (_, seq) => seq), `${key} arrives in the order sent`);
  }
  assert.ok(new Set(received.map(({ partition }) => partition)).size > 1, 'keys spread over more than one partition');
});
