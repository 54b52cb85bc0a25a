import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import type { Headers } from '../../src/runtime/record.js';
import { DeadLetterHeader } from '../../src/runtime/dead-letters/dead-letter.js';
import { LineageHeader } from '../../src/runtime/lineage.js';
import { ExperimentHeader } from '../../src/routing/experiment-headers.js';
import { InMemorySchemaRegistry, TopologyTestDriver } from '../../src/testing/index.js';
import { Topology } from '../../src/topology/spec.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { confluentFrame, javaPartition, MIXED_HEADERS } from '../helpers/wire-bytes.js';

/**
 * Keys and headers are bytes: what a stage reads it writes, byte for byte, in order, repeats and
 * null values included; a record whose key or headers kascade cannot read is dead-lettered, never
 * the end of the stage. Records are fed as Python's confluent-kafka would write them.
 */

/** kascade's own headers: every hop writes them anew. */
const OWN = new Set<string>([...Object.values(LineageHeader), ...Object.values(ExperimentHeader)]);
const foreign = (headers: Headers): Headers => headers.filter(([name]) => !OWN.has(name));




/** The one record of a list (failing when there are more or none). */
function only<T>(records: readonly T[]): T {
  assert.equal(records.length, 1, `${records.length} records, expected one`);
  return records[0] as T;
}

const echo = (): TransformRegistry => new TransformRegistry().register('echo', (value) => value);

const passThrough = Topology.parse({
  name: 'bytes',
  topics: { in: { partitions: 3, external: true }, out: { partitions: 5 } },
  stages: [{ name: 'echo', type: 'transform', input: 'in', function: 'echo', output: 'out' }],
});

test('a null header value does not stop a stage: the record and its batch go on, the null carried through', async () => {
  const driver = new TopologyTestDriver(passThrough, { plugins: { transforms: echo() } });
  await driver.pipe('in', [
    { key: 'k1', value: { n: 1 } },
    { key: 'k2', value: { n: 2 }, headers: [['x', null]] },
    { key: 'k3', value: { n: 3 } },
  ]);
  const out = await driver.read('out');
  assert.deepEqual(out.map((record) => (record.value as { n: number }).n).sort(), [1, 2, 3]);
  const second = out.find((record) => (record.value as { n: number }).n === 2);
  assert.deepEqual(foreign(second?.headerList ?? []), [['x', null]]);
  assert.deepEqual(driver.readRaw('in.dlq'), []);
});

test('every input header is written byte for byte, in order, with repeats, empty names and null values', async () => {
  const driver = new TopologyTestDriver(passThrough, { plugins: { transforms: echo() } });
  await driver.pipe('in', [{ key: 'k', value: { n: 1 }, headers: MIXED_HEADERS }]);
  const out = only(await driver.read('out'));
  assert.deepEqual(foreign(out.headerList), MIXED_HEADERS);
  // The text view a handler sees: the first non-null value of each name.
  assert.equal(out.headers['trace'], 'a');
  assert.equal(Object.hasOwn(out.headers, 'x-null'), false);
});

test("kascade's lineage headers replace only their own names; an input's other headers stay where they were", async () => {
  const driver = new TopologyTestDriver(passThrough, { plugins: { transforms: echo() } });
  const headers: Headers = [
    ['before', Buffer.from('1')],
    [LineageHeader.stage, Buffer.from('upstream')],
    [LineageHeader.stage, Buffer.from('upstream again')],
    ['after', Buffer.from('2')],
  ];
  await driver.pipe('in', [{ key: 'k', value: {}, headers }]);
  const out = only(await driver.read('out'));
  const list = out.headerList;
  assert.deepEqual(list.filter(([name]) => name === LineageHeader.stage), [[LineageHeader.stage, 'echo']]);
  assert.deepEqual(foreign(list), [['before', Buffer.from('1')], ['after', Buffer.from('2')]]);
});

test('a key that is not UTF-8 is written as the bytes it was, on the partition those bytes hash to', async () => {
  // An Avro long 1000, Confluent-framed: bytes that are not valid UTF-8 (0xd0 0x0f).
  const key = confluentFrame(7, avro.Type.forSchema('long').toBuffer(1000));
  let seen: unknown = 'not called';
  let seenBytes: Buffer | null = null;
  const transforms = new TransformRegistry().register('echo', (value, context) => {
    seen = context.key;
    seenBytes = context.keyBytes;
    return value;
  });
  const driver = new TopologyTestDriver(passThrough, { plugins: { transforms } });
  await driver.pipe('in', [{ key, value: { n: 1 } }]);
  const out = only(await driver.read('out'));
  assert.deepEqual(out.keyBytes, key);
  assert.equal(out.partition, javaPartition(key, 5));
  assert.equal(seen, undefined, 'undeclared and not UTF-8: offered as bytes only');
  assert.deepEqual(seenBytes, key);
});

test('the dead letter of a record keeps its key and every header byte for byte, beside why it failed', async () => {
  const key = Buffer.from([0x00, 0xff, 0x10]);
  const driver = new TopologyTestDriver(passThrough, { plugins: { transforms: echo() } });
  await driver.pipeRaw('in', [{ key, value: Buffer.from('{not json'), headers: MIXED_HEADERS }]);
  const dead = only(driver.readRaw('in.dlq'));
  assert.deepEqual(dead.keyBytes, key);
  assert.deepEqual(
    dead.headerList.filter(([name]) => !name.startsWith('kascade.error.')),
    MIXED_HEADERS,
  );
  assert.equal(dead.headers[DeadLetterHeader.errorCode], 'KASCADE_DECODE_FAILED');
});

const USER_KEY = { type: 'record', name: 'UserKey', namespace: 'com.example', fields: [{ name: 'user', type: 'string' }, { name: 'region', type: 'string' }] } as const;

function keyedTopology(format: 'avro' | 'string' | 'json'): ReturnType<typeof Topology.parse> {
  return Topology.parse({
    name: 'keys',
    topics: { in: { partitions: 2, external: true, key: { format } }, out: { partitions: 3 } },
    stages: [{ name: 'echo', type: 'transform', input: 'in', function: 'echo', output: 'out' }],
  });
}

test('a declared Avro key format offers the decoded key to transforms and writes the original bytes', async () => {
  const registry = new InMemorySchemaRegistry();
  const keys: unknown[] = [];
  const transforms = new TransformRegistry().register('echo', (value, context) => {
    keys.push(context.key);
    return value;
  });
  const longId = await registry.register('in-key', '"long"');
  const recordId = await registry.register('in-key', JSON.stringify(USER_KEY));
  const longKey = confluentFrame(longId, avro.Type.forSchema('long').toBuffer(1000));
  const recordKey = confluentFrame(recordId, avro.Type.forSchema(USER_KEY as unknown as avro.schema.AvroSchema).toBuffer({ user: 'u1', region: 'eu' }));
  const driver = new TopologyTestDriver(keyedTopology('avro'), { plugins: { transforms }, registry });
  await driver.pipe('in', [
    { key: longKey, value: { n: 1 } },
    { key: recordKey, value: { n: 2 } },
  ]);
  assert.deepEqual(keys.map((key) => (typeof key === 'object' && key !== null ? { ...key } : key)), [1000, { user: 'u1', region: 'eu' }]);
  const out = await driver.read('out');
  assert.deepEqual(out.map((record) => record.keyBytes?.toString('hex')).sort(), [longKey, recordKey].map((key) => key.toString('hex')).sort());
});

test('a key that does not follow its declared format is dead-lettered with the reason, and the batch goes on', async () => {
  const driver = new TopologyTestDriver(keyedTopology('string'), { plugins: { transforms: echo() } });
  await driver.pipe('in', [
    { key: Buffer.from([0xc3, 0x28]), value: { n: 1 } },
    { key: 'fine', value: { n: 2 } },
  ]);
  assert.deepEqual((await driver.read('out')).map((record) => record.key), ['fine']);
  const dead = only(driver.readRaw('in.dlq'));
  assert.equal(dead.headers[DeadLetterHeader.errorCode], 'KASCADE_DECODE_FAILED');
  assert.match(dead.headers[DeadLetterHeader.errorMessage] ?? '', /cannot decode key \(format string\): not valid UTF-8/);
  assert.deepEqual(dead.keyBytes, Buffer.from([0xc3, 0x28]));
});

test('a JSON key is decoded for transforms', async () => {
  const keys: unknown[] = [];
  const transforms = new TransformRegistry().register('echo', (value, context) => {
    keys.push(context.key);
    return value;
  });
  const driver = new TopologyTestDriver(keyedTopology('json'), { plugins: { transforms } });
  await driver.pipe('in', [{ key: '{"user":"u1"}', value: {} }]);
  assert.deepEqual(keys, [{ user: 'u1' }]);
});

test('a router keyed by an Avro long key assigns the unit by its decoded value, and keeps the key bytes', async () => {
  const registry = new InMemorySchemaRegistry();
  const id = await registry.register('requests-key', '"long"');
  const spec = Topology.parse({
    name: 'ab',
    topics: { requests: { partitions: 2, external: true, key: { format: 'avro' } }, a: { partitions: 1 }, b: { partitions: 1 } },
    stages: [{ name: 'split', type: 'router', input: 'requests', experiment: 'exp', arms: [{ name: 'a', weight: 1, output: 'a' }, { name: 'b', weight: 1, output: 'b' }] }],
  });
  const key = confluentFrame(id, avro.Type.forSchema('long').toBuffer(1000));
  const driver = new TopologyTestDriver(spec, { registry });
  await driver.pipe('requests', [{ key, value: { n: 1 } }]);
  const routed = [...(await driver.read('a')), ...(await driver.read('b'))];
  assert.equal(routed.length, 1);
  assert.equal(routed[0]?.headers[ExperimentHeader.unit], '1000');
  assert.deepEqual(routed.map((record) => record.keyBytes), [key]);
});
