import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { runTopology } from '../src/kafka/topology-runner.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { Topology } from '../src/topology/spec.js';
import { registerBuiltinTransforms } from '../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { connection, testKafka, uniqueName } from './helpers/kafka.js';
import { readAll } from './helpers/read-topic.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('collect-timeout');

test('collect on the broker: a request missing an item is written incomplete after its timeout, and its offsets are committed then', async () => {
  const items = uniqueName('items');
  const out = uniqueName('collected');
  const spec = Topology.parse({
    name: uniqueName('collect'),
    topics: { [items]: { partitions: 2, external: true }, [out]: { partitions: 2 } },
    stages: [{ name: 'gather', type: 'transform', input: items, function: 'collect', options: { keep: ['request'], itemFields: ['ad'], timeoutMs: 800 }, requestId: { field: 'request' }, output: out }],
  });
  const running = await runTopology({
    spec,
    connection,
    serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir: process.cwd() }),
    plugins: { transforms: registerBuiltinTransforms(new TransformRegistry(), { baseDir: process.cwd() }) },
    logger: jsonLogger('error', {}, () => undefined),
  });
  const producer = createProducer(kafka);
  await producer.connect();
  const item = (request: string, index: number, count: number): { key: string; value: string } => ({
    key: request,
    value: JSON.stringify({ request, ad: `ad-${index}`, index, count }),
  });
  // r-1 is complete; r-2 never gets its third item; r-3 completes after r-2 began (behind the held request).
  await producer.send({ topic: items, messages: [item('r-1', 0, 2), item('r-1', 1, 2), item('r-2', 0, 3), item('r-2', 1, 3), item('r-3', 0, 1)] });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const group = `${spec.name}.gather`;
    const committed = async (): Promise<number> =>
      (await admin.fetchOffsets({ groupId: group, topics: [items] }))[0]?.partitions.reduce((sum, entry) => sum + Math.max(0, Number(entry.offset)), 0) ?? 0;
    const stats = (): Readonly<Record<string, number | string>> => running.stats()['gather'] ?? {};
    await waitFor(() => Number(stats()['expired']) === 1 && Number(stats()['collected']) === 2, { timeoutMs: 30_000, what: 'r-2 expired, r-1 and r-3 collected' });
    // After the timeout nothing is held, so every item's offset gets committed.
    await waitFor(async () => (await committed()) === 5, { timeoutMs: 30_000, what: 'all 5 item offsets committed' });
    const records = await readAll(kafka, out);
    const values = records.map((record) => JSON.parse(record.value?.toString() ?? 'null') as { request: string; items: { ad: string }[]; complete: boolean });
    values.sort((a, b) => a.request.localeCompare(b.request));
    assert.deepEqual(values, [
      { request: 'r-1', items: [{ ad: 'ad-0' }, { ad: 'ad-1' }], complete: true },
      { request: 'r-2', items: [{ ad: 'ad-0' }, { ad: 'ad-1' }], complete: false },
      { request: 'r-3', items: [{ ad: 'ad-0' }], complete: true },
    ]);
    assert.equal(records.find((record) => record.headers['kascade.request-id'] === 'r-2')?.headers['kascade.stage'], 'gather');
  } finally {
    await admin.disconnect();
    await running.stop();
  }
});
