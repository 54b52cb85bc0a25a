import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { partitionForKey } from '../../src/routing/partitioner.js';
import { TopologyTestDriver, ManualClock } from '../../src/testing/index.js';
import { Topology } from '../../src/topology/spec.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';

const baseDir = fileURLToPath(new URL('../fixtures/driver/', import.meta.url));

/** raw (JSON) -> parse -> orders (Avro) -> explode -> items (JSON) -> price -> priced (JSON, expensive items only) */
const spec = Topology.parse({
  name: 'shop',
  topics: {
    raw: { partitions: 2, external: true },
    orders: { partitions: 3, format: 'avro', schema: 'order.avsc' },
    items: { partitions: 4 },
    priced: { partitions: 2 },
  },
  stages: [
    { name: 'parse', type: 'transform', input: 'raw', function: 'parse', output: 'orders', requestId: { field: 'orderId' } },
    { name: 'explode', type: 'transform', input: 'orders', function: 'explode', output: 'items' },
    { name: 'price', type: 'transform', input: 'items', function: 'price', options: { minimum: 10 }, output: 'priced' },
  ],
});

function transforms(): TransformRegistry {
  const prices: Record<string, number> = { apple: 2, book: 15, lamp: 40 };
  return new TransformRegistry()
    .register('parse', (value) => {
      const raw = value as { orderId: string; items: string };
      return { orderId: raw.orderId, items: raw.items.split(','), total: raw.items.split(',').reduce((sum, item) => sum + (prices[item] ?? 0), 0) };
    })
    .register('explode', (value) => {
      const order = value as { orderId: string; items: string[] };
      return order.items.map((item, index) => ({ orderId: order.orderId, item, position: index }));
    })
    .register('price', (value, context) => {
      const line = value as { orderId: string; item: string };
      const price = prices[line.item];
      if (price === undefined) throw new Error(`no price for ${line.item}`);
      return price >= Number(context.options['minimum']) ? { ...line, price } : null;
    });
}

test('the driver runs a 3-stage pipeline end to end in memory: Avro between stages, explode, filter, dead letters', async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25));
  const driver = new TopologyTestDriver(spec, { plugins: { transforms: transforms() }, baseDir, clock });
  await driver.pipe('raw', [
    { key: 'alice', value: { orderId: 'o1', items: 'apple,book,lamp' } },
    { key: 'bob', value: { orderId: 'o2', items: 'lamp,ghost' } },
  ]);
  clock.advance(1000);
  await driver.pipeRaw('raw', [{ key: 'carol', value: Buffer.from('{not json') }]);

  const orders = await driver.read('orders');
  assert.deepEqual(
    orders.map((record) => record.value).sort((a, b) => (a as { orderId: string }).orderId.localeCompare((b as { orderId: string }).orderId)),
    [
      { orderId: 'o1', items: ['apple', 'book', 'lamp'], total: 57 },
      { orderId: 'o2', items: ['lamp', 'ghost'], total: 40 },
    ],
  );
  for (const record of orders) assert.equal(record.partition, partitionForKey(record.key!, 3), 'placed as Kafka would');

  const priced = await driver.read('priced');
  assert.deepEqual(
    priced.map((record) => record.value).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [
      { orderId: 'o1', item: 'book', position: 1, price: 15 },
      { orderId: 'o1', item: 'lamp', position: 2, price: 40 },
      { orderId: 'o2', item: 'lamp', position: 0, price: 40 },
    ],
  );
  for (const record of priced) {
    assert.equal(record.headers['kascade.stage'], 'price');
    assert.equal(record.headers['kascade.request-id'], (record.value as { orderId: string }).orderId, 'the request id survives explode');
    assert.match(record.headers['kascade.source'] ?? '', /^items\/\d+\/\d+$/);
  }

  const parseFailures = driver.readRaw('raw.dlq');
  assert.equal(parseFailures.length, 1);
  assert.equal(parseFailures[0]!.key, 'carol');
  assert.equal(String(parseFailures[0]!.value), '{not json');
  assert.equal(parseFailures[0]!.headers['kascade.error.code'], 'KASCADE_DECODE_FAILED');
  assert.equal(parseFailures[0]!.headers['kascade.error.time'], '2026-11-25T00:00:01.000Z');

  const priceFailures = driver.readRaw('items.dlq');
  assert.equal(priceFailures.length, 1);
  assert.equal(priceFailures[0]!.headers['kascade.error.message'], 'transform "price" threw: no price for ghost');
  assert.deepEqual(driver.topics(), ['items', 'items.dlq', 'orders', 'priced', 'raw', 'raw.dlq']);
  await driver.close();
});
