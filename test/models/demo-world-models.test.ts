/**
 * The demo world's trained models (models/README.md, "The demo world") compute what their
 * weights say, and the world's files agree with each other. onnxruntime-node runs each model;
 * the expected values are recomputed in float64 from <name>.weights.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadDemoWorld, trueClickProbability, worldUser } from '../../src/experiments/demo-world.js';

const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
const world = loadDemoWorld(join(MODELS_DIR, 'demo-world.json'));
const catalog = JSON.parse(readFileSync(fileURLToPath(new URL('../../topologies/data/ad-catalog.json', import.meta.url)), 'utf8')) as { id: string; category: string; features: number[] }[];
const users = Array.from({ length: 32 }, (_, index) => worldUser(world, 'models-test', `user-${index}`));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] ?? Number.NaN), 0);

interface RankerWeights {
  readonly user_weights: number[];
  readonly ad_weights: number[];
  readonly bias: number;
  readonly interaction?: number[][];
}

const weights = (name: string): unknown => JSON.parse(readFileSync(join(MODELS_DIR, `${name}.weights.json`), 'utf8'));

async function run(name: string, feeds: Record<string, number[][]>, output: string): Promise<number[][]> {
  const session = await InferenceSession.create(join(MODELS_DIR, `${name}.onnx`));
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([input, rows]) => [input, new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]?.length ?? 0])]));
    const result = (await session.run(tensors))[output];
    assert.ok(result instanceof Tensor, `${name}.${output}`);
    const [rows = 0, columns = 0] = result.dims;
    const data = result.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * columns, (r + 1) * columns)));
  } finally {
    await session.release();
  }
}

test("the catalog is the world's ads without their hidden quality", () => {
  assert.equal(world.ads.length, 16);
  assert.deepEqual(
    catalog,
    world.ads.map((ad) => ({ id: ad.id, category: ad.category, features: ad.features })),
  );
  for (const ad of world.ads) for (const value of ad.features) assert.equal(Math.fround(value), value, `${ad.id}: float32 features`);
});

test('ad-candidates: scores [batch, 16] = sigmoid(user_features . V + c), column j for ad j', async () => {
  const model = weights('ad-candidates') as { weights: number[][]; bias: number[] };
  const scores = await run('ad-candidates', { user_features: users.map((user) => user.features) }, 'scores');
  assert.equal(scores.length, users.length);
  users.forEach((user, r) => {
    assert.equal(scores[r]?.length, 16);
    world.ads.forEach((_, j) => {
      const expected = sigmoid(dot(user.features, model.weights.map((row) => row[j] ?? Number.NaN)) + (model.bias[j] ?? Number.NaN));
      assert.ok(Math.abs((scores[r]?.[j] ?? Number.NaN) - expected) < 1e-5, `user ${r}, ad ${j}`);
    });
  });
});

for (const name of ['ranker-eu', 'ranker-us', 'ranker-apac', 'ranker-latam', 'ranker-bilinear']) {
  test(`${name}: probability [batch, 1] from user_features and ad_features, as its weights say`, async () => {
    const model = weights(name) as RankerWeights;
    const pairs = users.flatMap((user, u) => world.ads.filter((_, j) => (j + u) % 4 === 0).map((ad) => ({ user: user.features, ad: ad.features })));
    const probability = await run(name, { user_features: pairs.map((pair) => pair.user), ad_features: pairs.map((pair) => pair.ad) }, 'probability');
    pairs.forEach((pair, r) => {
      const bilinear = model.interaction === undefined ? 0 : pair.user.reduce((sum, u, i) => sum + u * dot(model.interaction?.[i] ?? [], pair.ad), 0);
      const expected = sigmoid(bilinear + dot(pair.user, model.user_weights) + dot(pair.ad, model.ad_weights) + model.bias);
      const row = probability[r] ?? [];
      assert.equal(row.length, 1);
      const actual = row[0] ?? Number.NaN;
      assert.ok(Math.abs(actual - expected) < 1e-5, `${name} row ${r}: ${actual} vs ${expected}`);
    });
  });
}

test("the bilinear ranker tracks the true click model better than the regional rankers (what the demo's A/B test measures)", async () => {
  // For each user, the ad each ranker rates best among all 16, and that ad's true click probability.
  const pairs = users.flatMap((user) => world.ads.map((ad) => ({ user, ad })));
  const feeds = { user_features: pairs.map((pair) => pair.user.features), ad_features: pairs.map((pair) => pair.ad.features) };
  const truth = (pair: (typeof pairs)[number]): number => trueClickProbability(world, pair.user.features, pair.user.region, pair.ad.id);
  const bilinear = (await run('ranker-bilinear', feeds, 'probability')).map((row) => row[0] ?? 0);
  const regional = new Map<string, number[]>();
  for (const region of world.regions) regional.set(region, (await run(`ranker-${region}`, feeds, 'probability')).map((row) => row[0] ?? 0));
  const chosenCtr = (scoreOf: (index: number) => number): number => {
    let total = 0;
    users.forEach((_, u) => {
      let best = u * 16;
      for (let index = u * 16; index < (u + 1) * 16; index++) if (scoreOf(index) > scoreOf(best)) best = index;
      const pair = pairs[best];
      if (pair !== undefined) total += truth(pair);
    });
    return total / users.length;
  };
  const challenger = chosenCtr((index) => bilinear[index] ?? 0);
  const champion = chosenCtr((index) => regional.get(pairs[index]?.user.region ?? '')?.[index] ?? 0);
  assert.ok(challenger > champion, `challenger ${challenger} vs champion ${champion}`);
});
