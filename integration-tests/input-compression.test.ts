import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../src/errors.js';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { readTopic } from '../src/kafka/operator/topic-reader.js';
import { runEchoStage } from './helpers/echo-stage.js';
import { waitForGroupCaughtUp } from './helpers/group-progress.js';
import { testAccess, testKafka, uniqueName, type ReceivedRecord } from './helpers/kafka.js';
import { readAll } from './helpers/read-topic.js';

const kafka = testKafka('input-compression');
const COUNT = 200;

/**
 * Java and Python producers compress their batches (Kafka's `compression.type`). A topic with
 * `compression.type` set makes the broker itself store every batch compressed that way, as
 * the Java code writes it, whatever the producer sent: the same bytes a Java producer's batches
 * would be.
 */
async function compressedTopic(codec: string): Promise<string> {
  const topic = uniqueName(`compressed-${codec}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'compression.type', value: codec }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const ids = Array.from({ length: COUNT }, (_, index) => index);
    for (let start = 0; start < COUNT; start += 50) {
      await producer.send({ topic, messages: ids.slice(start, start + 50).map((id) => ({ key: `k-${id % 7}`, value: JSON.stringify({ id }), headers: { h: `v-${id}` } })) });
    }
  } finally {
    await producer.disconnect();
  }
  return topic;
}

const idOf = (value: Buffer | null): number => (JSON.parse(value?.toString() ?? '{}') as { id: number }).id;
const sortedIds = (values: readonly (Buffer | null)[]): number[] => values.map(idOf).sort((a, b) => a - b);
const allIds = Array.from({ length: COUNT }, (_, index) => index);

for (const codec of ['gzip', 'lz4']) {
  test(`records in ${codec}-compressed batches (as Java writes them): the topic reader and a stage read every one`, async () => {
    const topic = await compressedTopic(codec);
    const read: (Buffer | null)[] = [];
    await readTopic(testAccess, { topic, from: { kind: 'offset', offset: '0' } }, { onRecord: (record) => void read.push(record.value) });
    assert.deepEqual(sortedIds(read), allIds, 'the topic reader');

    const { running, group, output, logs } = await runEchoStage(topic, 2);
    try {
      await waitForGroupCaughtUp(kafka, group, topic);
      const echoed = await readAll(kafka, output);
      assert.deepEqual(sortedIds(echoed.map((record: ReceivedRecord) => record.value)), allIds, logs.slice(-10).join('\n'));
    } finally {
      await running.stop();
    }
  });
}

/**
 * @platformatic/kafka 1.35 on Node 20 cannot decompress these (2.x on Node 22 can): what it
 * cannot read must fail at once, saying where and why, not be fetched again forever as if the
 * broker were away.
 */
for (const [codec, why] of [
  ['snappy', /snappy-compressed batch in the xerial framing/],
  ['zstd', /zstd-compressed batch: .*needs Node 22\.15/],
] as const) {
  test(`records in ${codec}-compressed batches (as Java writes them): the topic reader and a stage fail at once, naming the topic and the codec`, async () => {
    const topic = await compressedTopic(codec);
    const escaped = topic.replaceAll('.', '\\.');
    await assert.rejects(readTopic(testAccess, { topic, from: { kind: 'offset', offset: '0' } }, { onRecord: () => undefined }), (error: unknown) => {
      assert.ok(isKascadeError(error, ErrorCode.UnreadableBatch), String(error));
      assert.match(error.message, new RegExp(`^reading ${escaped}\\[\\d\\]`));
      assert.match(error.message, why);
      return true;
    });

    const { running, logs } = await runEchoStage(topic, 2);
    try {
      const { stage, exit } = await running.firstExit;
      assert.equal(stage, 'echo');
      assert.equal(exit.kind, 'failed', logs.slice(-5).join('\n'));
      assert.ok(isKascadeError(exit.error, ErrorCode.UnreadableBatch), String(exit.error));
      assert.match(exit.error.message, new RegExp(`^reading ${escaped}: `));
      assert.match(exit.error.message, why);
    } finally {
      await running.stop();
    }
  });
}

test('on the kafkajs adapter: a stage reads gzip batches, and fails at once on lz4 ones, naming the topic and the codec', async () => {
  const gzip = await compressedTopic('gzip');
  const reading = await runEchoStage(gzip, 2, 'kafkajs');
  try {
    await waitForGroupCaughtUp(kafka, reading.group, gzip);
    assert.deepEqual(sortedIds((await readAll(kafka, reading.output)).map((record: ReceivedRecord) => record.value)), allIds, reading.logs.slice(-10).join('\n'));
  } finally {
    await reading.running.stop();
  }

  const lz4 = await compressedTopic('lz4');
  const failing = await runEchoStage(lz4, 2, 'kafkajs');
  try {
    const { exit } = await failing.running.firstExit;
    assert.equal(exit.kind, 'failed', failing.logs.slice(-5).join('\n'));
    assert.ok(isKascadeError(exit.error, ErrorCode.UnreadableBatch), String(exit.error));
    assert.match(exit.error.message, new RegExp(`^reading ${lz4.replaceAll('.', '\\.')}: a batch compressed with lz4, which kafkajs reads only with a codec plug-in`));
  } finally {
    await failing.running.stop();
  }
});
