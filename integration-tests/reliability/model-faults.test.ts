import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collect, connection, testKafka } from '../helpers/kafka.js';
import { StageProcess } from '../helpers/stage-process.js';
import { assertRunDelivered } from './assertions.js';
import { RELIABILITY_FILE, ReliabilityRun } from './reliability-run.js';

const kafka = testKafka('reliability-models');
const MODEL = 'ctr-logreg.onnx';
const NOT_A_MODEL = Buffer.from('this is not an ONNX model, just bytes where one should be');

function modelsRoot(withModel: 'good' | 'corrupt' | 'none'): string {
  const root = mkdtempSync(join(tmpdir(), 'kascade-models-'));
  if (withModel === 'good') copyFileSync(join('models', MODEL), join(root, MODEL));
  if (withModel === 'corrupt') writeFileSync(join(root, MODEL), NOT_A_MODEL);
  return root;
}

// A missing file is caught when the topology is checked; a file that is there but not a model
// when onnxruntime loads it. Either way: exit 1, the reason, and no consuming.
for (const [state, exitCode, reason] of [
  ['none', 1, /stages\[1\]\.model\.path: model file not found: ctr-logreg\.onnx/],
  ['corrupt', 1, /model ctr-logreg@sha256:[0-9a-f]+.*: onnxruntime cannot load it/],
] as const) {
  test(`a model file ${state === 'none' ? 'missing' : 'corrupt'} at start: the stage refuses to start, says which model and why, exits ${exitCode}`, async () => {
    const root = modelsRoot(state);
    const run = new ReliabilityRun(kafka, { delivery: 'at-least-once', connection });
    try {
      await run.prepare();
      const stage = StageProcess.launch([RELIABILITY_FILE, '--stage', 'score'], { ...run.env, KASCADE_MODELS: root });
      const exit = await stage.exited;
      assert.equal(exit.code, exitCode, `exit code:\n${stage.tail()}`);
      assert.ok(stage.output.some((line) => reason.test(line)), `the reason is printed:\n${stage.tail()}`);
      assert.equal(stage.output.some((line) => /"msg":"stage running"/.test(line)), false, 'it never started consuming');
    } finally {
      await run.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('a model file corrupted, then deleted, while the stage serves under load: reloads fail loudly, the loaded version keeps serving, nothing is lost', async (t) => {
  const root = modelsRoot('good');
  const run = new ReliabilityRun(kafka, { delivery: 'at-least-once', connection, env: { KASCADE_MODELS: root } });
  await run.prepare();
  const versions = await collect(kafka, run.topic('scored'), { readCommitted: false });
  try {
    run.generator.startSteady(500);
    await run.startStage('prepare');
    const score = await run.startStage('score');
    let written = await run.waitForGrowth(run.topic('scored'), 0, 500);
    writeFileSync(join(root, MODEL), NOT_A_MODEL);
    await score.waitForLog(/model reload failed; the loaded version keeps serving/, 1, 60_000);
    written = await run.waitForGrowth(run.topic('scored'), written, 500);
    rmSync(join(root, MODEL));
    await score.waitForLog(/model file missing; the loaded version keeps serving/, 1, 60_000);
    await run.waitForGrowth(run.topic('scored'), written, 500);
    await run.generator.stop();
    await run.waitForCaughtUp('prepare');
    await run.waitForCaughtUp('score');
    assert.ok(score.running, 'the stage still serves');
  } finally {
    await run.close();
    await versions.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const served = new Set(versions.records.map((record) => record.headers['kascade.lineage.models']));
  t.diagnostic(`model versions on the outputs: ${[...served].join(', ')}`);
  assert.equal(served.size, 1, 'one version served throughout');
  await assertRunDelivered(run, (line) => t.diagnostic(line));
});
