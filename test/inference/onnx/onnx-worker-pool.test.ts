import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../../src/errors.js';
import { OnnxWorkerPool } from '../../../src/inference/onnx/onnx-worker-pool.js';
import { assertClose, calibrateSlowModel, float32, rejectsWith, rowsOf } from './pool-fixtures.js';
import { linearModel, linearReference } from './tiny-onnx.js';
import type { LinearModelOptions } from './tiny-onnx.js';

const scorer: LinearModelOptions = {
  weights: [
    [0.5, -1.0],
    [1.5, 0.25],
    [-2.0, 0.75],
  ],
  bias: [0.1, -0.2],
  sigmoid: true,
};

const batch = [
  [1, 2, 3],
  [0, 0, 0],
  [-1, 0.5, 2],
  [3, -2, 0.25],
  [10, 10, -10],
];

test('outputs equal the same computation in JavaScript, for a whole batch', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    await pool.load('scorer@1', linearModel(scorer));
    const result = await pool.run('scorer@1', { X: float32(batch) });
    assert.deepEqual(Object.keys(result.outputs), ['Y']);
    assert.equal(result.outputs.Y!.dtype, 'float32');
    assert.deepEqual(result.outputs.Y!.dims, [5, 2]);
    assertClose(rowsOf(result.outputs.Y), linearReference(scorer, batch));
    assert.ok(result.inferenceMs >= 0 && result.inferenceMs < 1000, `inferenceMs ${result.inferenceMs}`);
  } finally {
    await pool.close();
  }
});

test('load returns the declared inputs and outputs; non-tensor outputs are listed but not returned', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    const metadata = await pool.load('m', linearModel({ ...scorer, inputName: 'features', outputName: 'score', sequenceOutput: true }));
    assert.deepEqual(metadata, {
      inputs: [{ name: 'features', type: 'float32', dims: ['batch', 3] }],
      outputs: [
        { name: 'score', type: 'float32', dims: ['batch', 2] },
        { name: 'score_seq', type: 'unknown', dims: [] },
      ],
    });
    // onnxruntime-node cannot return a sequence: the run fetches the tensor outputs only.
    const result = await pool.run('m', { features: float32(batch) });
    assert.deepEqual(Object.keys(result.outputs), ['score']);
  } finally {
    await pool.close();
  }
});

test('two versions of a model run side by side under their own handles', async () => {
  const v2: LinearModelOptions = { ...scorer, bias: [5, 5], sigmoid: false };
  const pool = new OnnxWorkerPool({ workers: 2 });
  try {
    await Promise.all([pool.load('scorer@1', linearModel(scorer)), pool.load('scorer@2', linearModel(v2))]);
    const [one, two] = await Promise.all([pool.run('scorer@1', { X: float32(batch) }), pool.run('scorer@2', { X: float32(batch) })]);
    assertClose(rowsOf(one.outputs.Y), linearReference(scorer, batch));
    assertClose(rowsOf(two.outputs.Y), linearReference(v2, batch), 1e-4);
    await pool.release('scorer@1');
    assertClose(rowsOf((await pool.run('scorer@2', { X: float32(batch) })).outputs.Y), linearReference(v2, batch), 1e-4);
  } finally {
    await pool.close();
  }
});

test('a released model no longer runs; releasing an unknown handle is a no-op; the handle can be loaded again', async () => {
  const pool = new OnnxWorkerPool({ workers: 2 });
  try {
    await pool.load('m', linearModel(scorer));
    await pool.release('m');
    const error = await rejectsWith(pool.run('m', { X: float32(batch) }), ErrorCode.InferenceFailed);
    assert.equal(error.message, 'model m is not loaded');
    assert.equal(error.retriable, false);
    await pool.release('m');
    await pool.release('never-loaded');
    await pool.load('m', linearModel(scorer));
    assertClose(rowsOf((await pool.run('m', { X: float32(batch) })).outputs.Y), linearReference(scorer, batch));
  } finally {
    await pool.close();
  }
});

test('a handle is loaded once: loading it again rejects, a load after a release (even a pending one) succeeds', async () => {
  const pool = new OnnxWorkerPool({ workers: 2 });
  try {
    const first = pool.load('m', linearModel(scorer));
    const again = await rejectsWith(pool.load('m', linearModel(scorer)), ErrorCode.ModelLoadFailed);
    assert.match(again.message, /model m is already loaded: release it first/);
    await first;
    // Issued together: the release waits for nothing, the load waits for the release, the run sees the release.
    const releasing = pool.release('m');
    const runDuringRelease = rejectsWith(pool.run('m', { X: float32(batch) }), ErrorCode.InferenceFailed);
    const reloading = pool.load('m', linearModel({ ...scorer, sigmoid: false }));
    assert.equal((await runDuringRelease).message, 'model m is being released');
    await releasing;
    await reloading;
    assertClose(rowsOf((await pool.run('m', { X: float32(batch) })).outputs.Y), linearReference({ ...scorer, sigmoid: false }, batch));
  } finally {
    await pool.close();
  }
});

test('a run issued while its model loads rejects; release during a load waits for it', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    const loading = pool.load('m', linearModel(scorer));
    const early = await rejectsWith(pool.run('m', { X: float32(batch) }), ErrorCode.InferenceFailed);
    assert.match(early.message, /is still loading/);
    await pool.release('m');
    await loading;
    await rejectsWith(pool.run('m', { X: float32(batch) }), ErrorCode.InferenceFailed);
  } finally {
    await pool.close();
  }
});

test('corrupt model bytes reject with ModelLoadFailed and onnxruntime says why; the handle stays free', async () => {
  const pool = new OnnxWorkerPool({ workers: 2 });
  try {
    const error = await rejectsWith(pool.load('broken', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])), ErrorCode.ModelLoadFailed);
    assert.match(error.message, /^model broken: onnxruntime cannot load it: .*protobuf parsing failed/);
    assert.equal(error.retriable, false);
    const valid = linearModel(scorer);
    const truncated = await rejectsWith(pool.load('broken', valid.subarray(0, valid.length - 20)), ErrorCode.ModelLoadFailed);
    assert.match(truncated.message, /onnxruntime cannot load it/);
    await pool.load('broken', valid);
    assertClose(rowsOf((await pool.run('broken', { X: float32(batch) })).outputs.Y), linearReference(scorer, batch));
  } finally {
    await pool.close();
  }
});

test('feeds that do not fit the model reject with InferenceFailed carrying onnxruntime message', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    await pool.load('m', linearModel(scorer));
    const wrongName = await rejectsWith(pool.run('m', { Q: float32(batch) }), ErrorCode.InferenceFailed);
    assert.match(wrongName.message, /^model m: input 'X' is missing in 'feeds'/);
    assert.equal(wrongName.retriable, false);
    const wrongShape = await rejectsWith(pool.run('m', { X: float32([[1, 2]]) }), ErrorCode.InferenceFailed);
    assert.match(wrongShape.message, /invalid dimensions for input: X/);
    const wrongType = await rejectsWith(pool.run('m', { X: { dtype: 'float64', data: new Float64Array(3), dims: [1, 3] } }), ErrorCode.InferenceFailed);
    assert.match(wrongType.message, /tensor\(double\)|type/i);
    const wrongLength = await rejectsWith(pool.run('m', { X: { dtype: 'float32', data: new Float32Array(4), dims: [1, 3] } }), ErrorCode.InferenceFailed);
    assert.match(wrongLength.message, /size|length/i);
    // The session survives bad feeds.
    assertClose(rowsOf((await pool.run('m', { X: float32(batch) })).outputs.Y), linearReference(scorer, batch));
  } finally {
    await pool.close();
  }
});

test('feeds are moved to the worker, not copied; a window on a larger buffer is copied and left intact', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    await pool.load('m', linearModel(scorer));
    const whole = float32(batch);
    await pool.run('m', { X: whole });
    assert.equal(whole.data.length, 0, 'the caller no longer owns a transferred buffer');
    const backing = new Float32Array(64).fill(7);
    const window = backing.subarray(8, 8 + 15);
    window.set(batch.flat());
    const result = await pool.run('m', { X: { dtype: 'float32', data: window, dims: [5, 3] } });
    assertClose(rowsOf(result.outputs.Y), linearReference(scorer, batch));
    assert.equal(backing.length, 64);
    assert.equal(backing[0], 7);
    // Reusing a moved feed is a clear error, not a silent empty run.
    const reused = await rejectsWith(pool.run('m', { X: whole }), ErrorCode.InferenceFailed);
    assert.match(reused.message, /^model m: tensor X: its buffer was already moved to another thread \(detached\); build fresh feeds/);
  } finally {
    await pool.close();
  }
});

test('the event loop keeps running while a model computes for a long time', async (t) => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    const slow = await calibrateSlowModel(pool, 450);
    await pool.load('slow', slow.bytes);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    const result = await pool.run('slow', slow.feeds());
    const elapsed = performance.now() - started;
    clearInterval(timer);
    t.diagnostic(`run ${result.inferenceMs.toFixed(0)} ms in the worker, ${elapsed.toFixed(0)} ms seen by the caller, ${ticks} ticks of a 10 ms timer`);
    // Calibrated to about 450 ms; a machine that got faster since still gives a run long enough to tell.
    assert.ok(result.inferenceMs > 100, `the slow model ran only ${result.inferenceMs} ms`);
    // A blocked loop would tick at most once or twice; a free one about once per 10 ms of the run.
    const expected = Math.floor(result.inferenceMs / 10 / 2);
    assert.ok(ticks >= expected, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms (expected at least ${expected})`);
  } finally {
    await pool.close();
  }
});

test('concurrent runs spread over the workers', async (t) => {
  const pool = new OnnxWorkerPool({ workers: 2 });
  try {
    const slow = await calibrateSlowModel(pool, 300);
    await pool.load('slow', slow.bytes);
    await pool.run('slow', slow.feeds()); // warm-up
    let started = performance.now();
    await pool.run('slow', slow.feeds());
    const single = performance.now() - started;
    started = performance.now();
    const [a, b] = await Promise.all([pool.run('slow', slow.feeds()), pool.run('slow', slow.feeds())]);
    const both = performance.now() - started;
    t.diagnostic(`one run ${single.toFixed(0)} ms; two concurrent runs ${both.toFixed(0)} ms (${(both / single).toFixed(2)}x) on workers ${a.workerId} and ${b.workerId}`);
    // Timings are reported, not asserted: speed belongs to the benchmarks (a busy CI machine makes them noise).
    assert.notEqual(a.workerId, b.workerId, 'each run went to its own worker');
  } finally {
    await pool.close();
  }
});

test('a worker that dies fails its runs in flight as retriable and is replaced with the models reloaded', async () => {
  // The pool's threads, seen through Node's own 'worker_threads' diagnostics channel (no hook in the pool).
  const threads: Worker[] = [];
  const onWorker = (message: unknown): void => {
    const worker = (message as { worker?: unknown }).worker;
    if (worker instanceof Worker) threads.push(worker);
  };
  subscribe('worker_threads', onWorker);
  const pool = new OnnxWorkerPool({ workers: 2 });
  try {
    const slow = await calibrateSlowModel(pool, 400);
    await pool.load('slow', slow.bytes);
    await pool.load('scorer', linearModel(scorer));
    const original = threads.map((worker) => worker.threadId);
    assert.equal(original.length, 2);

    // Killed while idle, with a run sent before the pool hears of it: a worker killed inside a
    // native onnxruntime run aborts the whole process (onnxruntime-node's completion callback
    // throws into a torn-down environment), so that case cannot be tested in-process.
    const killed = Promise.all(threads.map((worker) => worker.terminate()));
    const inFlight = rejectsWith(pool.run('slow', slow.feeds()), ErrorCode.InferenceFailed);
    await killed;
    const error = await inFlight;
    assert.equal(error.retriable, true);
    assert.match(error.message, /^model slow: the ONNX worker \(thread \d+\) stopped unexpectedly/);

    const after = await pool.run('scorer', { X: float32(batch) });
    assertClose(rowsOf(after.outputs.Y), linearReference(scorer, batch));
    assert.ok(!original.includes(after.workerId), 'a replacement worker answered');
    assert.equal(threads.length, 4, 'two replacements started');
    // Runs prefer workers whose reload is done, so wait (bounded) until both replacements take them.
    const spreadOver = new Set<number>();
    for (let attempt = 0; attempt < 20 && spreadOver.size < 2; attempt++) {
      const pair = await Promise.all([pool.run('slow', slow.feeds()), pool.run('slow', slow.feeds())]);
      if (pair[0].workerId !== pair[1].workerId) pair.forEach((result) => spreadOver.add(result.workerId));
    }
    assert.equal(spreadOver.size, 2, 'both replacements hold the models');
    assert.ok(![...spreadOver].some((id) => original.includes(id)));
  } finally {
    unsubscribe('worker_threads', onWorker);
    await pool.close();
  }
});

test('close lets runs in flight finish, then every call rejects; close is idempotent', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  await pool.load('m', linearModel(scorer));
  const inFlight = pool.run('m', { X: float32(batch) });
  const closing = pool.close();
  assertClose(rowsOf((await inFlight).outputs.Y), linearReference(scorer, batch));
  await closing;
  await pool.close();
  const run = await rejectsWith(pool.run('m', { X: float32(batch) }), ErrorCode.InferenceFailed);
  assert.equal(run.message, 'model m: the ONNX runner is closed');
  await rejectsWith(pool.load('n', linearModel(scorer)), ErrorCode.ModelLoadFailed);
  await pool.release('m');
});

test('session options from the topology are accepted by onnxruntime', async () => {
  const pool = new OnnxWorkerPool({ workers: 1 });
  try {
    await pool.load('m', linearModel(scorer), { intraOpThreads: 2, interOpThreads: 2, graphOptimizationLevel: 'disabled' });
    assertClose(rowsOf((await pool.run('m', { X: float32(batch) })).outputs.Y), linearReference(scorer, batch));
  } finally {
    await pool.close();
  }
});

test('worker count: one per core but one by default, at least one; anything else is ConfigInvalid', async () => {
  const pool = new OnnxWorkerPool();
  await pool.close();
  assert.equal(pool.size, Math.max(1, availableParallelism() - 1));
  for (const workers of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => new OnnxWorkerPool({ workers }),
      (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid),
    );
  }
});

test('an idle pool that was never closed does not keep the process alive', async () => {
  const script = `
    import { OnnxWorkerPool } from ${JSON.stringify(new URL('../../../src/inference/onnx/onnx-worker-pool.ts', import.meta.url).href)};
    import { linearModel } from ${JSON.stringify(new URL('./tiny-onnx.ts', import.meta.url).href)};
    const pool = new OnnxWorkerPool({ workers: 2 });
    await pool.load('m', linearModel({ weights: [[1]], bias: [0] }));
    const { outputs } = await pool.run('m', { X: { dtype: 'float32', data: Float32Array.from([2]), dims: [1, 1] } });
    console.log(outputs.Y.data[0]);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill();
      reject(new Error('the process did not exit within 20 s'));
    }, 20_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timeout);
      resolve(exitCode);
    });
  });
  assert.equal(code, 0);
  assert.equal(stdout.trim(), '2');
});
