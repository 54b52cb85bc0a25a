/**
 * The model's own limit: onnxruntime-node running the model on batches of random rows in a
 * loop, no Kafka, no decoding, one intra-op thread (as a kascade worker runs it). Prints one
 * JSON line: rows per second over the measured seconds, after a warm-up.
 *
 *   tsx bench/baselines/ort-only.ts --model models/ctr-logreg.onnx --batch 64 --seconds 3
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { featuresOf } from '../lib/preload.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, batch: { type: 'string', default: '64' }, seconds: { type: 'string', default: '3' } } });
if (values.model === undefined) throw new Error('usage: ort-only.ts --model FILE [--batch 64] [--seconds 3]');
const batch = Number(values.batch);
const seconds = Number(values.seconds);

const session = await ort.InferenceSession.create(values.model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
const inputName = session.inputNames[0] ?? 'features';
const rows = new Float32Array(batch * 32);
for (let row = 0; row < batch; row++) rows.set(featuresOf(row), row * 32);
const feeds = { [inputName]: new ort.Tensor('float32', rows, [batch, 32]) };

async function runFor(milliseconds: number): Promise<{ runs: number; elapsed: number }> {
  const started = performance.now();
  let runs = 0;
  while (performance.now() - started < milliseconds) {
    await session.run(feeds);
    runs++;
  }
  return { runs, elapsed: performance.now() - started };
}

await runFor(1000);
const { runs, elapsed } = await runFor(seconds * 1000);
process.stdout.write(`${JSON.stringify({ rowsPerSecond: (runs * batch) / (elapsed / 1000), runs, batch })}\n`);
await session.release();
