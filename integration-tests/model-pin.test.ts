import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { featuresFor } from '../test/helpers/ctr-model.js';
import { testKafka } from './helpers/kafka.js';
import { readAll, waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';

const FILE = 'integration-tests/fixtures/model-pin.yaml';
const kafka = testKafka('model-pin');
const digest = createHash('sha256').update(readFileSync('models/ctr-logreg.onnx')).digest('hex');

test('kascade run with a wrong sha256 pin refuses to start: exit 1, the model, its path and both digests', async () => {
  const wrong = '0'.repeat(64);
  const stage = StageProcess.launch([FILE, '--stage', 'score', '--metrics-port', '0'], { KASCADE_RUN: `pin${randomUUID().slice(0, 8)}`, KASCADE_MODEL_SHA256: wrong });
  const exit = await stage.exited;
  assert.equal(exit.code, 1, `exit code:\n${stage.tail()}`);
  const expected = `model ctr-logreg: ctr-logreg.onnx does not match its sha256 pin: expected ${wrong}, the file has ${digest}`;
  assert.ok(stage.output.includes(`kascade: ${expected}`), `the reason is printed, once:\n${stage.tail()}`);
  assert.equal(stage.output.some((line) => line.includes('"msg":"stage running"')), false, 'it never started consuming');
});

test('kascade run with the right pin (upper-case hex) serves: every request gets its prediction', async () => {
  const run = `pin${randomUUID().slice(0, 8)}`;
  const stage = await StageProcess.start([FILE, '--stage', 'score', '--metrics-port', '0'], { KASCADE_RUN: run, KASCADE_MODEL_SHA256: digest.toUpperCase() }, 1);
  try {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${run}.requests`, messages: Array.from({ length: 20 }, (_, index) => ({ key: `u${String(index)}`, value: JSON.stringify({ features: featuresFor(index) }) })) });
    await producer.disconnect();
    await waitForRecords(kafka, `${run}.predictions`, 20);
    const predictions = await readAll(kafka, `${run}.predictions`);
    assert.equal(predictions.length, 20);
    assert.ok(predictions.every((record) => (JSON.parse(String(record.value)) as { modelId?: unknown }).modelId === 'ctr-logreg' && record.headers['kascade.lineage.models']?.startsWith('ctr-logreg@')));
  } finally {
    assert.equal((await stage.kill('SIGTERM')).code, 0, stage.tail());
  }
});
