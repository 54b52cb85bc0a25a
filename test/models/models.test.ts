/**
 * The committed ONNX models in models/ compute what models/README.md says they compute.
 * Each model is run with onnxruntime-node and compared with an independent float64 computation
 * from its <name>.weights.json (the exact float32 values in the model), written out below.
 *
 * (This test may import onnxruntime-node: the layering rule that keeps it inside
 * src/inference/onnx/ covers src/ only.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
const MAX_MODEL_BYTES = 1_000_000;
const ROWS = 16;
const TOLERANCE = 1e-5;
const HEAVY_TOLERANCE = 1e-4;

const LOGISTIC_MODELS = [
  { name: 'ctr-logreg', width: 32, output: 'probability' },
  { name: 'ctr-challenger', width: 32, output: 'probability' },
  { name: 'ctr-cohort-a', width: 32, output: 'probability' },
  { name: 'ctr-cohort-b', width: 32, output: 'probability' },
  { name: 'ctr-cohort-c', width: 32, output: 'probability' },
  { name: 'ctr-cohort-d', width: 32, output: 'probability' },
  { name: 'ranker', width: 8, output: 'score' },
] as const;
/** The demo world's trained models: their own test file checks what they compute. */
const DEMO_WORLD_MODELS = ['ad-candidates', 'ranker-eu', 'ranker-us', 'ranker-apac', 'ranker-latam', 'ranker-bilinear'];
const ALL_MODELS = [...LOGISTIC_MODELS.map((model) => model.name), 'ad-scorer', 'heavy-mlp', 'bench-heavy', ...DEMO_WORLD_MODELS].sort();

// ---------------------------------------------------------------------------------------------
// inputs: deterministic pseudo-random rows in [-1, 1), already float32 (what the model sees)

function pseudoRandomRows(rows: number, width: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: rows * width }, () => next() * 2 - 1);
}

const row = (features: Float32Array, width: number, index: number): Float32Array => features.subarray(index * width, (index + 1) * width);

// ---------------------------------------------------------------------------------------------
// weights files, checked for shape

function readWeights(name: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(join(MODELS_DIR, `${name}.weights.json`), 'utf8'));
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), `${name}.weights.json: an object`);
  return parsed as Record<string, unknown>;
}

function scalar(value: unknown, label: string): number {
  assert.ok(typeof value === 'number' && Number.isFinite(value), `${label}: a finite number`);
  // Every value is an exact float32: parsing it as a double loses nothing.
  assert.equal(Math.fround(value), value, `${label}: a float32 value`);
  return value;
}

function vector(value: unknown, length: number, label: string): number[] {
  assert.ok(Array.isArray(value), `${label}: an array`);
  assert.equal(value.length, length, `${label}: length`);
  return value.map((item: unknown, index) => scalar(item, `${label}[${index}]`));
}

function matrix(value: unknown, rows: number, columns: number, label: string): number[][] {
  assert.ok(Array.isArray(value), `${label}: an array`);
  assert.equal(value.length, rows, `${label}: rows`);
  return value.map((item: unknown, index) => vector(item, columns, `${label}[${index}]`));
}

// ---------------------------------------------------------------------------------------------
// the independent computations, in float64

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

const dot = (x: ArrayLike<number>, w: readonly number[]): number => {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += x[i]! * w[i]!;
  return sum;
};

/** x [n] . W [n][m] + b [m] */
function affine(x: ArrayLike<number>, w: readonly (readonly number[])[], b: readonly number[]): Float64Array {
  const out = Float64Array.from(b);
  w.forEach((weights, i) => {
    const xi = x[i]!;
    weights.forEach((wij, j) => {
      out[j]! += xi * wij;
    });
  });
  return out;
}

function softmax(logits: Float64Array): number[] {
  const max = Math.max(...logits);
  const exps = Array.from(logits, (z) => Math.exp(z - max));
  const total = exps.reduce((sum, e) => sum + e, 0);
  return exps.map((e) => e / total);
}

interface HeavyWeights {
  w1: number[][];
  b1: number[];
  w2: number[][];
  w3: number[];
  b3: number;
  iterations: number;
}

/**
 * heavy-mlp for one row: u = x.W1 + b1; h = tanh(u); `iterations` times h = tanh(h.W2 + u);
 * sigmoid(h.w3 + b3).
 *
 * The step is a contraction (W2's spectral norm is 0.5, checked when the model is generated, and
 * tanh is 1-Lipschitz), so h converges to a fixed point within a few dozen steps. Once a step
 * moves h by less than CONVERGED (2-norm), the remaining steps move it by at most
 * CONVERGED * 0.5 / (1 - 0.5) = CONVERGED in total, far below the tolerance: the loop stops
 * there instead of running the remaining thousands of steps (which would take seconds here).
 */
const CONVERGED = 1e-12;

function heavyForward(x: ArrayLike<number>, weights: HeavyWeights): number {
  const hidden = weights.b1.length;
  const u = affine(x, weights.w1, weights.b1);
  const w2 = Float64Array.from(weights.w2.flat());
  let h: Float64Array = u.map(Math.tanh);
  for (let k = 0; k < weights.iterations; k++) {
    const next = Float64Array.from(u);
    for (let i = 0; i < hidden; i++) {
      const hi = h[i]!;
      for (let j = 0; j < hidden; j++) next[j]! += hi * w2[i * hidden + j]!;
    }
    let squaredStep = 0;
    for (let j = 0; j < hidden; j++) {
      next[j] = Math.tanh(next[j]!);
      squaredStep += (next[j]! - h[j]!) ** 2;
    }
    h = next;
    if (Math.sqrt(squaredStep) < CONVERGED) break;
  }
  return sigmoid(dot(h, weights.w3) + weights.b3);
}

// ---------------------------------------------------------------------------------------------
// onnxruntime

async function withSession(name: string, use: (session: InferenceSession) => Promise<void>): Promise<void> {
  const session = await InferenceSession.create(join(MODELS_DIR, `${name}.onnx`), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    await use(session);
  } finally {
    await session.release();
  }
}

function assertSignature(session: InferenceSession, width: number, output: string, outputWidth: number): void {
  assert.deepEqual(session.inputNames, ['features']);
  assert.deepEqual(session.outputNames, [output]);
  assert.deepEqual(session.inputMetadata, [{ name: 'features', isTensor: true, type: 'float32', shape: ['batch', width] }]);
  assert.deepEqual(session.outputMetadata, [{ name: output, isTensor: true, type: 'float32', shape: ['batch', outputWidth] }]);
}

async function run(session: InferenceSession, features: Float32Array, width: number, output: string, outputWidth: number): Promise<Float32Array> {
  const rows = features.length / width;
  const results = await session.run({ features: new Tensor('float32', features, [rows, width]) });
  const tensor = results[output];
  assert.ok(tensor instanceof Tensor, `${output}: a tensor`);
  assert.deepEqual(tensor.dims, [rows, outputWidth]);
  assert.ok(tensor.data instanceof Float32Array, `${output}: float32 data`);
  return tensor.data;
}

function assertClose(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: onnxruntime ${actual}, recomputed ${expected}, off by ${Math.abs(actual - expected)}`);
}

// ---------------------------------------------------------------------------------------------

test('models/ holds exactly the expected models, each under 1 MB', () => {
  const files = readdirSync(MODELS_DIR).filter((file) => file.endsWith('.onnx'));
  assert.deepEqual(files.map((file) => file.slice(0, -'.onnx'.length)).sort(), ALL_MODELS);
  for (const file of files) {
    const size = statSync(join(MODELS_DIR, file)).size;
    assert.ok(size < MAX_MODEL_BYTES, `${file}: ${size} bytes`);
  }
});

for (const [index, model] of LOGISTIC_MODELS.entries()) {
  test(`${model.name}: ${model.output} [batch, 1] = sigmoid(features [batch, ${model.width}] . W + b)`, async () => {
    const weightsFile = readWeights(model.name);
    const weights = vector(weightsFile.weights, model.width, `${model.name}.weights`);
    const bias = scalar(weightsFile.bias, `${model.name}.bias`);
    const features = pseudoRandomRows(ROWS, model.width, 1000 + index);

    await withSession(model.name, async (session) => {
      assertSignature(session, model.width, model.output, 1);
      const outputs = await run(session, features, model.width, model.output, 1);
      for (let r = 0; r < ROWS; r++) {
        assertClose(outputs[r]!, sigmoid(dot(row(features, model.width, r), weights) + bias), TOLERANCE, `${model.name} row ${r}`);
      }
    });
  });
}

test('the champion, the challenger and the four cohort models all have different weights', () => {
  const ctrModels = LOGISTIC_MODELS.filter((model) => model.name.startsWith('ctr-'));
  const keys = ctrModels.map((model) => JSON.stringify(readWeights(model.name)));
  assert.equal(new Set(keys).size, ctrModels.length);
});

test('ad-scorer: scores [batch, 10] = softmax(features [batch, 32] . W + b)', async () => {
  const weightsFile = readWeights('ad-scorer');
  const weights = matrix(weightsFile.weights, 32, 10, 'ad-scorer.weights');
  const bias = vector(weightsFile.bias, 10, 'ad-scorer.bias');
  const features = pseudoRandomRows(ROWS, 32, 2000);

  await withSession('ad-scorer', async (session) => {
    assertSignature(session, 32, 'scores', 10);
    const outputs = await run(session, features, 32, 'scores', 10);
    for (let r = 0; r < ROWS; r++) {
      const expected = softmax(affine(row(features, 32, r), weights, bias));
      const actual = outputs.subarray(r * 10, (r + 1) * 10);
      expected.forEach((probability, ad) => {
        assertClose(actual[ad]!, probability, TOLERANCE, `ad-scorer row ${r} ad ${ad}`);
      });
      assertClose(actual.reduce((sum, p) => sum + p, 0), 1, TOLERANCE, `ad-scorer row ${r} sum`);
    }
  });
});

/** heavy-mlp (tests of slow inference) and bench-heavy (the benchmarks' inference-bound model): one graph, two sizes. */
const HEAVY_MODELS = [
  { name: 'heavy-mlp', hidden: 256, rows: 1 },
  { name: 'bench-heavy', hidden: 128, rows: 4 },
] as const;

for (const model of HEAVY_MODELS) {
  test(`${model.name}: score [batch, 1] from features [batch, 32] through a Loop of tanh steps, matching a recomputation`, async () => {
    const weightsFile = readWeights(model.name);
    const { hidden } = model;
    const iterations = weightsFile.iterations;
    assert.ok(typeof iterations === 'number' && Number.isInteger(iterations) && iterations > 0, 'iterations: a positive integer');
    const weights: HeavyWeights = {
      w1: matrix(weightsFile.w1, 32, hidden, `${model.name}.w1`),
      b1: vector(weightsFile.b1, hidden, `${model.name}.b1`),
      w2: matrix(weightsFile.w2, hidden, hidden, `${model.name}.w2`),
      w3: vector(weightsFile.w3, hidden, `${model.name}.w3`),
      b3: scalar(weightsFile.b3, `${model.name}.b3`),
      iterations,
    };
    const features = pseudoRandomRows(model.rows, 32, 3000);

    await withSession(model.name, async (session) => {
      assertSignature(session, 32, 'score', 1);
      const outputs = await run(session, features, 32, 'score', 1);
      for (let r = 0; r < model.rows; r++) assertClose(outputs[r]!, heavyForward(row(features, 32, r), weights), HEAVY_TOLERANCE, `${model.name} row ${r}`);
    });
  });
}
