import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, TopologyTestDriver } from '../../src/testing/index.js';
import { Topology } from '../../src/topology/spec.js';
import { topologyProblems } from '../../src/topology/validate.js';
import { registerBuiltinTransforms } from '../../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';

/** baskets -> explode -> lines -> price (fails on unknown products) -> priced -> collect -> totals */
const spec = Topology.parse({
  name: 'shop',
  topics: { baskets: { partitions: 3, external: true }, lines: { partitions: 3 }, priced: { partitions: 3 }, receipts: { partitions: 2 } },
  stages: [
    { name: 'explode', type: 'transform', input: 'baskets', function: 'explode', options: { field: 'products', as: 'product' }, output: 'lines', requestId: { field: 'basket' } },
    { name: 'price', type: 'transform', input: 'lines', function: 'price', output: 'priced' },
    {
      name: 'collect',
      type: 'transform',
      input: 'priced',
      function: 'collect',
      options: { keep: ['basket'], itemFields: ['product', 'price'], sortBy: 'price', as: 'lines', timeoutMs: 5000 },
      output: 'receipts',
    },
  ],
});

const PRICES: Record<string, number> = { apple: 2, book: 15, lamp: 40, pen: 1 };

function transforms(): TransformRegistry {
  return registerBuiltinTransforms(new TransformRegistry(), { baseDir: process.cwd() }).register('price', (value) => {
    const line = value as { product: string };
    const price = PRICES[line.product];
    if (price === undefined) throw new Error(`no price for ${line.product}`);
    return { ...line, price };
  });
}

test('explode then collect gives back one record per request, with every item and the request id', async () => {
  const clock = new ManualClock();
  const driver = new TopologyTestDriver(spec, { plugins: { transforms: transforms() }, clock, maxBatchSize: 7 });
  const products = Object.keys(PRICES);
  const baskets = Array.from({ length: 200 }, (_, index) => ({
    key: `customer-${index % 13}`,
    value: { basket: `b-${index}`, products: Array.from({ length: 1 + (index % 4) }, (_, position) => products[(index + position) % products.length] ?? 'pen') },
  }));
  await driver.pipe('baskets', baskets);
  const receipts = await driver.read('receipts');
  assert.equal(receipts.length, baskets.length);
  const byBasket = new Map(receipts.map((receipt) => [(receipt.value as { basket: string }).basket, receipt]));
  for (const basket of baskets) {
    const receipt = byBasket.get(basket.value.basket);
    assert.ok(receipt, basket.value.basket);
    const expected = basket.value.products.map((product) => ({ product, price: PRICES[product] })).sort((a, b) => (b.price ?? 0) - (a.price ?? 0));
    assert.deepEqual(receipt.value, { basket: basket.value.basket, lines: expected, complete: true });
    assert.equal(receipt.headers['kascade.request-id'], basket.value.basket);
    assert.equal(receipt.key, basket.key, 'the request key survives explode and collect');
  }
  assert.deepEqual(driver.stats()['collect'], { collected: 200, expired: 0, late: 0, held: 0 });
  await driver.close();
});

test('a request whose item was dead-lettered is written incomplete once its timeout passes', async () => {
  const clock = new ManualClock();
  const driver = new TopologyTestDriver(spec, { plugins: { transforms: transforms() }, clock });
  await driver.pipe('baskets', [
    { key: 'ann', value: { basket: 'ok', products: ['pen', 'lamp'] } },
    { key: 'bob', value: { basket: 'broken', products: ['book', 'ghost', 'apple'] } },
  ]);
  assert.deepEqual((await driver.read('receipts')).map((receipt) => (receipt.value as { basket: string }).basket), ['ok']);
  assert.equal(driver.readRaw('lines.dlq').length, 1, 'the unpriceable line is in the dead-letter topic');
  await driver.advanceTime(4999);
  assert.equal((await driver.read('receipts')).length, 1, 'not before the timeout');
  await driver.advanceTime(1);
  const receipts = await driver.read('receipts');
  assert.equal(receipts.length, 2);
  const broken = receipts.find((receipt) => (receipt.value as { basket: string }).basket === 'broken');
  assert.deepEqual(broken?.value, { basket: 'broken', lines: [{ product: 'book', price: 15 }, { product: 'apple', price: 2 }], complete: false });
  assert.equal(broken.headers['kascade.request-id'], 'broken');
  await driver.close();
});

test('collect options are checked when the stage starts, naming the option', async () => {
  const bad = Topology.parse({ ...spec, stages: [{ ...spec.stages[2], input: 'baskets', options: { sortBy: 'price', limit: -1 } }], topics: { baskets: { external: true }, receipts: {} } });
  const driver = new TopologyTestDriver(bad, { plugins: { transforms: transforms() } });
  await assert.rejects(driver.start(), /transform "collect": options\.limit: must be at least 1/);
});

test('validation: collect is refused in postprocess; postprocess onto an Avro topic needs a schema', () => {
  const topology = Topology.parse({
    name: 't',
    modelsRoot: '.',
    topics: { in: { external: true }, out: { format: 'avro' } },
    stages: [
      {
        name: 'score',
        type: 'inference',
        input: 'in',
        model: { id: 'm', path: 'm.onnx' },
        inputs: { x: { field: 'x' } },
        outputs: { y: { output: 'y' } },
        postprocess: [{ function: 'explode', options: { field: 'y' } }, { function: 'collect' }],
        output: 'out',
      },
    ],
  });
  const problems = topologyProblems(topology, { file: 't.yaml', baseDir: '/tmp', knownFunctions: registerBuiltinTransforms(new TransformRegistry(), { baseDir: '/tmp' }), fileExists: () => true });
  const messages = problems.map((problem) => `${problem.path}: ${problem.message}`);
  assert.ok(messages.some((line) => /^stages\[0\]\.postprocess: output topic "out" is Avro.*needs a schema/.test(line)), messages.join('\n'));
  assert.ok(messages.some((line) => /^stages\[0\]\.postprocess\[1\]\.function: "collect" gathers records across the stream/.test(line)), messages.join('\n'));
});
