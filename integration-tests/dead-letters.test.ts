import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { testKafka } from './helpers/kafka.js';
import { PIPELINE_FILE, PipelineFixture, TRANSFORMS_FILE } from './helpers/pipeline-fixture.js';
import { decodeAvro, readAll } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

const kafka = testKafka('dead-letters');

test('bad records go to the dead-letter topic with their reason and origin; good ones are served; the stage keeps running', async () => {
  const fixture = new PipelineFixture();
  fixture.createTopics();
  const good = PipelineFixture.requests(300, 10, 'good');
  const throwing = PipelineFixture.requests(7, 7, 'boom');
  const schemaId = await fixture.produce(kafka, [...good, ...throwing]);

  // Bytes that are not Confluent Avro, and Avro framing that names a schema id the registry never issued.
  const notAvro = Array.from({ length: 5 }, (_, index) => ({ key: `bad-json-${index}`, value: Buffer.from(JSON.stringify({ id: `json-${index}` })) }));
  const unknownId = Array.from({ length: 4 }, (_, index) => {
    const value = Buffer.alloc(9);
    value.writeUInt8(0, 0);
    value.writeInt32BE(2_147_480_000 + index, 1);
    return { key: `bad-id-${index}`, value, headers: { origin: 'unknown-schema' } };
  });
  const producer = createProducer(kafka);
  await producer.connect();
  await producer.send({ topic: fixture.requests, messages: [...notAvro, ...unknownId] });
  await producer.disconnect();

  const stage = await StageProcess.start([PIPELINE_FILE, '--stage', 'score', '--transforms', TRANSFORMS_FILE], fixture.env, 1);
  try {
    await fixture.waitForCaughtUp(kafka, 'score', fixture.requests);
    const outputs = await decodeAvro<{ id: string }>(await readAll(kafka, fixture.scored));
    assert.deepEqual(outputs.map((output) => output.id).sort(), good.map((request) => request.id).sort());

    const deadLetters = await readAll(kafka, `${fixture.requests}.dlq`);
    assert.equal(deadLetters.length, throwing.length + notAvro.length + unknownId.length);
    const byCode = (code: string) => deadLetters.filter((record) => record.headers['kascade.error.code'] === code);
    assert.deepEqual(byCode('KASCADE_DECODE_FAILED').map((record) => record.key).sort(), notAvro.map((record) => record.key).sort());
    assert.deepEqual(byCode('KASCADE_SCHEMA_NOT_FOUND').map((record) => record.key).sort(), unknownId.map((record) => record.key).sort());
    const transformFailures = byCode('KASCADE_TRANSFORM_FAILED');
    assert.deepEqual(
      (await decodeAvro<{ id: string }>(transformFailures)).map((request) => request.id).sort(),
      throwing.map((request) => request.id).sort(),
    );

    for (const record of deadLetters) {
      assert.equal(record.headers['kascade.error.stage'], 'score');
      assert.equal(record.headers['kascade.error.source.topic'], fixture.requests);
      assert.match(record.headers['kascade.error.source.partition']!, /^[0-2]$/);
      assert.match(record.headers['kascade.error.source.offset']!, /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(record.headers['kascade.error.time']!)), 'error time is a timestamp');
      assert.ok((record.headers['kascade.error.message'] ?? '').length > 0);
    }
    // The original bytes and headers are kept, so a fixed record can be replayed as it was.
    for (const [index, original] of unknownId.entries()) {
      const dead = deadLetters.find((record) => record.key === original.key)!;
      assert.deepEqual(dead.value, original.value, `bytes of ${original.key}`);
      assert.equal(dead.headers['origin'], 'unknown-schema', `headers of ${original.key} (${index})`);
      assert.deepEqual(
        dead.headerList.filter(([name]) => !name.startsWith('kascade.error.')),
        [['origin', Buffer.from('unknown-schema')]],
        `every original header of ${original.key}, byte for byte (${index})`,
      );
    }
    assert.match(transformFailures[0]!.headers['kascade.error.message']!, /^transform "score" threw: cannot score boom-\d+$/);
    assert.equal(schemaId > 0, true);

    // Still running: a record produced now is served.
    assert.ok(stage.running, 'the stage process is still running');
    const late = PipelineFixture.requests(1, 1, 'late');
    await fixture.produce(kafka, late);
    await fixture.waitForCaughtUp(kafka, 'score', fixture.requests);
    const after = await decodeAvro<{ id: string }>(await readAll(kafka, fixture.scored));
    assert.ok(after.some((output) => output.id === 'late-0'), 'the late record was served');
  } finally {
    await stage.kill('SIGTERM');
  }
});
