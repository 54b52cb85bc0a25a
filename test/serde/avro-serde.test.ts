import assert from 'node:assert/strict';
import { test } from 'node:test';
import type avro from 'avsc';
import { ErrorCode, isKascadeError, KascadeError } from '../../src/errors.js';
import { createAvroSerde } from '../../src/serde/avro-serde.js';
import type { SchemaRegistryClient, SubjectVersion } from '../../src/serde/serde.js';
import { InMemorySchemaRegistry } from '../../src/testing/in-memory-schema-registry.js';

const clickV1 = {
  type: 'record',
  name: 'Click',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'score', type: 'double' },
    { name: 'count', type: 'int' },
  ],
} satisfies avro.schema.AvroSchema;

/** v2 adds a defaulted field and widens count from int to long: backward compatible with v1. */
const clickV2 = {
  ...clickV1,
  fields: [
    { name: 'id', type: 'string' },
    { name: 'score', type: 'double' },
    { name: 'count', type: 'long' },
    { name: 'campaign', type: 'string', default: 'none' },
  ],
} satisfies avro.schema.AvroSchema;

const everything = {
  type: 'record',
  name: 'Everything',
  namespace: 'dev.kascade.test',
  fields: [
    { name: 'text', type: 'string' },
    { name: 'flag', type: 'boolean' },
    { name: 'small', type: 'int' },
    { name: 'big', type: 'long' },
    { name: 'ratio', type: 'float' },
    { name: 'score', type: 'double' },
    { name: 'raw', type: 'bytes' },
    { name: 'digest', type: { type: 'fixed', name: 'Digest', size: 4 } },
    { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
    { name: 'maybe', type: ['null', 'string'] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'weights', type: { type: 'map', values: 'double' } },
    {
      name: 'user',
      type: { type: 'record', name: 'User', fields: [{ name: 'age', type: 'int' }, { name: 'region', type: ['null', 'string'], default: null }] },
    },
    { name: 'items', type: { type: 'array', items: 'User' } },
    // Two record branches: avsc wraps this union ({ "<branch>": value }).
    {
      name: 'event',
      type: [
        'null',
        { type: 'record', name: 'View', fields: [{ name: 'ms', type: 'int' }] },
        { type: 'record', name: 'Tap', fields: [{ name: 'ms', type: 'int' }] },
      ],
    },
  ],
} satisfies avro.schema.AvroSchema;

const sample = {
  text: 'héllo',
  flag: true,
  small: -7,
  big: 1_700_000_000_123,
  ratio: 0.5,
  score: 0.1234,
  raw: Buffer.from([1, 2, 3]),
  digest: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
  color: 'GREEN',
  maybe: 'x',
  tags: ['a', 'b'],
  weights: { eu: 0.25, us: 0.75 },
  user: { age: 42, region: 'eu' },
  items: [
    { age: 1, region: null },
    { age: 2, region: 'us' },
  ],
  event: { 'dev.kascade.test.Tap': { ms: 12 } },
};

function assertKascade(code: ErrorCode, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isKascadeError(error), `expected a KascadeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

/** Every value in the tree has Object.prototype (or is an array, a Buffer or a scalar). */
function assertPlain(value: unknown, path = '$'): void {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      assertPlain(item, `${path}[${index}]`);
    });
    return;
  }
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${path} is not a plain object`);
  for (const [key, member] of Object.entries(value)) assertPlain(member, `${path}.${key}`);
}

/** A registry that counts lookups and can be switched off, to check caching and error propagation. */
class ObservedRegistry implements SchemaRegistryClient {
  readonly inner = new InMemorySchemaRegistry();
  lookups = 0;
  registrations = 0;
  down = false;

  register(subject: string, schema: string): Promise<number> {
    this.registrations++;
    if (this.down) return Promise.reject(unreachable());
    return this.inner.register(subject, schema);
  }

  schemaById(id: number): Promise<string> {
    this.lookups++;
    if (this.down) return Promise.reject(unreachable());
    return this.inner.schemaById(id);
  }

  latestVersion(subject: string): Promise<SubjectVersion | undefined> {
    if (this.down) return Promise.reject(unreachable());
    return this.inner.latestVersion(subject);
  }
}

function unreachable(): KascadeError {
  return new KascadeError(ErrorCode.RegistryUnreachable, 'schema registry at http://registry did not answer', { retriable: true });
}

test('values round-trip as plain objects, every Avro type included', async () => {
  const serde = createAvroSerde({ topic: 'everything', registry: new InMemorySchemaRegistry(), schema: everything });
  await serde.init();
  assert.equal(serde.format, 'avro');
  const decoded = await serde.deserialize(await serde.serialize(sample));
  assert.deepEqual(decoded, sample);
  assertPlain(decoded);
});

test('a recursive record (a tree) decodes to plain objects at every depth', async () => {
  const schema = {
    type: 'record',
    name: 'Node',
    fields: [
      { name: 'label', type: 'string' },
      { name: 'children', type: { type: 'array', items: 'Node' } },
    ],
  } satisfies avro.schema.AvroSchema;
  const tree = { label: 'root', children: [{ label: 'a', children: [{ label: 'a1', children: [] }] }, { label: 'b', children: [] }] };
  const serde = createAvroSerde({ topic: 'trees', registry: new InMemorySchemaRegistry(), schema });
  await serde.init();
  const decoded = await serde.deserialize(await serde.serialize(tree));
  assert.deepEqual(decoded, tree);
  assertPlain(decoded);
});

test('the wire format is magic byte 0, the schema id as int32 big-endian, then the Avro body', async () => {
  const fixedId: SchemaRegistryClient = {
    register: () => Promise.resolve(0x01020304),
    schemaById: () => Promise.reject(new Error('not used')),
    latestVersion: () => Promise.reject(new Error('not used')),
  };
  const schema = { type: 'record', name: 'Pair', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'long' }] } satisfies avro.schema.AvroSchema;
  const serde = createAvroSerde({ topic: 'pairs', registry: fixedId, schema });
  const bytes = await serde.serialize({ id: 'ab', n: -65 });
  // 0x00 | 01 02 03 04 | string "ab": zigzag length 2 -> 0x04, 'a' 'b' | long -65: zigzag 129 -> varint 0x81 0x01
  assert.deepEqual([...bytes!], [0x00, 0x01, 0x02, 0x03, 0x04, 0x04, 0x61, 0x62, 0x81, 0x01]);
  // Our own id is known after serialize: decoding needs no lookup.
  assert.deepEqual(await serde.deserialize(bytes), { id: 'ab', n: -65 });
});

test('values larger than the encoder\'s scratch space, and values after them, encode whole; each frame owns its bytes', async () => {
  const schema = { type: 'record', name: 'Blob', fields: [{ name: 'id', type: 'string' }, { name: 'data', type: 'bytes' }] } satisfies avro.schema.AvroSchema;
  const serde = createAvroSerde({ topic: 'blobs', registry: new InMemorySchemaRegistry(), schema });
  await serde.init();
  const values = [
    { id: 'small', data: Buffer.from([1, 2, 3]) },
    { id: 'big', data: Buffer.alloc(200_000, 7) },
    { id: 'bigger', data: Buffer.alloc(700_000, 9) },
    { id: 'small again', data: Buffer.from([4]) },
  ];
  const frames: Buffer[] = [];
  for (const value of values) frames.push((await serde.serialize(value)) ?? Buffer.alloc(0));
  // Decoded only once all are written: a frame sharing the encoder's scratch space would have changed since.
  // (A frame with trailing bytes would not decode: see 'a truncated body or trailing bytes'.)
  for (const [index, value] of values.entries()) assert.deepEqual(await serde.deserialize(frames[index] ?? null), value, `frame ${String(index)}`);
});

test('init registers the schema under <topic>-value and serialize uses that id', async () => {
  const registry = new InMemorySchemaRegistry();
  await registry.register('other-value', JSON.stringify({ type: 'string' }));
  const serde = createAvroSerde({ topic: 'clicks', registry, schema: clickV1 });
  await serde.init();
  assert.equal(registry.latestId('clicks-value'), 2);
  const bytes = await serde.serialize({ id: 'c1', score: 0.5, count: 3 });
  assert.equal(bytes!.readInt32BE(1), 2);
});

test('registerAtInit: false leaves the subject alone until the serde first writes', async () => {
  const registry = new InMemorySchemaRegistry();
  const serde = createAvroSerde({ topic: 'external', registry, schema: clickV1, registerAtInit: false });
  await serde.init();
  assert.deepEqual(registry.subjects(), []);
  await serde.serialize({ id: 'c1', score: 0.5, count: 3 });
  assert.deepEqual(registry.subjects(), ['external-value']);
});

test('the schema may be loaded lazily, once', async () => {
  let loads = 0;
  const load = (): Promise<avro.schema.AvroSchema> => {
    loads++;
    return Promise.resolve(clickV1);
  };
  const serde = createAvroSerde({ topic: 'lazy', registry: new InMemorySchemaRegistry(), schema: load });
  await serde.init();
  const value = { id: 'c1', score: 1, count: 1 };
  assert.deepEqual(await serde.deserialize(await serde.serialize(value)), value);
  assert.equal(loads, 1);
});

test('long is a number when it is a safe integer and a bigint beyond', async () => {
  const schema = { type: 'record', name: 'L', fields: [{ name: 'n', type: 'long' }] } satisfies avro.schema.AvroSchema;
  const serde = createAvroSerde({ topic: 'longs', registry: new InMemorySchemaRegistry(), schema });
  for (const [written, read] of [
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
    [2n ** 53n, 2n ** 53n],
    [2n ** 63n - 1n, 2n ** 63n - 1n],
    [-(2n ** 63n), -(2n ** 63n)],
    [5n, 5], // a small bigint comes back as a number
  ] as const) {
    assert.deepEqual(await serde.deserialize(await serde.serialize({ n: written })), { n: read }, String(written));
  }
  for (const bad of [1.5, 2 ** 60, 2n ** 63n]) {
    await assert.rejects(serde.serialize({ n: bad }), assertKascade(ErrorCode.EncodeFailed, /n: expected long, got (number|bigint)/), String(bad));
  }
});

test('null serializes to a tombstone', async () => {
  const serde = createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: clickV1 });
  assert.equal(await serde.serialize(null), null);
});

test('a value that does not fit the schema is EncodeFailed naming the field path and the expected type', async () => {
  const serde = createAvroSerde({ topic: 'everything', registry: new InMemorySchemaRegistry(), schema: everything });
  const cases: ReadonlyArray<readonly [unknown, RegExp]> = [
    [{ ...sample, score: 'high' }, /^value does not fit the Avro schema record dev\.kascade\.test\.Everything of topic "everything": score: expected double, got string "high"$/],
    [{ ...sample, score: undefined }, /score: expected double, got nothing \(field missing\)$/],
    [{ ...sample, user: { age: 'old' } }, /user\.age: expected int, got string "old"$/],
    [{ ...sample, items: [{ age: 1 }, { age: 2.5 }] }, /items\.1\.age: expected int, got number 2\.5$/],
    [{ ...sample, color: 'BLUE' }, /color: expected enum dev\.kascade\.test\.Color, got string "BLUE"$/],
    [{ ...sample, maybe: 3 }, /maybe: expected \["null","string"\], got number 3$/],
    [{ ...sample, digest: Buffer.alloc(3) }, /digest: expected fixed dev\.kascade\.test\.Digest, got Buffer \(3 bytes\)$/],
    [{ ...sample, score: 'x', small: 'y' }, /small: expected int, got string "y" \(and 1 more\)$/],
    ['just text', /: value: expected record dev\.kascade\.test\.Everything, got string "just text"$/],
    [undefined, /value: expected record dev\.kascade\.test\.Everything, got nothing/],
  ];
  for (const [value, pattern] of cases) {
    await assert.rejects(serde.serialize(value), assertKascade(ErrorCode.EncodeFailed, pattern), pattern.source);
  }
});

test('a field with a default may be left out when writing', async () => {
  const serde = createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: clickV2 });
  const decoded = await serde.deserialize(await serde.serialize({ id: 'c1', score: 0.5, count: 3 }));
  assert.deepEqual(decoded, { id: 'c1', score: 0.5, count: 3, campaign: 'none' });
});

test('a topic without a schema cannot be written (ConfigInvalid), but can be read in the writer shape', async () => {
  const registry = new InMemorySchemaRegistry();
  const reader = createAvroSerde({ topic: 'clicks', registry });
  await reader.init();
  await assert.rejects(reader.serialize({ id: 'c1' }), assertKascade(ErrorCode.ConfigInvalid, /topic "clicks" has format avro but declares no schema/));

  const writer = createAvroSerde({ topic: 'clicks', registry, schema: clickV1 });
  const value = { id: 'c1', score: 0.5, count: 3 };
  assert.deepEqual(await reader.deserialize(await writer.serialize(value)), value);
});

test('a record written with v1 reads as v2: the new field gets its default, int widens to long', async () => {
  const registry = new InMemorySchemaRegistry();
  const v1 = createAvroSerde({ topic: 'clicks', registry, schema: clickV1 });
  const v2 = createAvroSerde({ topic: 'clicks', registry, schema: clickV2 });
  await v1.init();
  await v2.init();
  const old = await v1.serialize({ id: 'c1', score: 0.5, count: 3 });
  const current = await v2.serialize({ id: 'c2', score: 0.25, count: 2n ** 60n, campaign: 'spring' });
  assert.notEqual(old!.readInt32BE(1), current!.readInt32BE(1));

  assert.deepEqual(await v2.deserialize(old), { id: 'c1', score: 0.5, count: 3, campaign: 'none' });
  assert.deepEqual(await v2.deserialize(current), { id: 'c2', score: 0.25, count: 2n ** 60n, campaign: 'spring' });
  assertPlain(await v2.deserialize(old));
});

test('the writer schema is looked up once per id (the resolver is cached)', async () => {
  const registry = new ObservedRegistry();
  const writer = createAvroSerde({ topic: 'clicks', registry, schema: clickV1 });
  const reader = createAvroSerde({ topic: 'clicks', registry, schema: clickV2 });
  const bytes = await writer.serialize({ id: 'c1', score: 0.5, count: 3 });
  await Promise.all([reader.deserialize(bytes), reader.deserialize(bytes)]);
  await reader.deserialize(bytes);
  assert.equal(registry.lookups, 1);
});

test('a writer schema the reader schema cannot resolve is DecodeFailed', async () => {
  const registry = new InMemorySchemaRegistry();
  const writer = createAvroSerde({ topic: 'clicks', registry, schema: clickV1 });
  const breaking = { ...clickV1, fields: [{ name: 'id', type: 'int' }] } satisfies avro.schema.AvroSchema;
  const reader = createAvroSerde({ topic: 'clicks', registry, schema: breaking });
  const bytes = await writer.serialize({ id: 'c1', score: 0.5, count: 3 });
  await assert.rejects(
    reader.deserialize(bytes),
    assertKascade(ErrorCode.DecodeFailed, /^records written with schema id 1 cannot be read with the schema of topic "clicks": .*"string".*"int"/),
  );
});

test('bytes that are not Confluent Avro are DecodeFailed, saying what was found', async () => {
  const serde = createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: clickV1 });
  await serde.init();
  const cases: ReadonlyArray<readonly [Buffer | null, RegExp]> = [
    [null, /^record has no value \(a tombstone\)/],
    [Buffer.alloc(0), /^value is 0 bytes long, shorter than the 5-byte Confluent header: not Confluent Avro$/],
    [Buffer.from([0, 0, 1]), /^value is 3 bytes long/],
    [Buffer.from('{"id":"c1"}'), /^magic byte 0x7b, expected 0x00: not Confluent Avro$/],
    [Buffer.from([1, 0, 0, 0, 1, 0]), /^magic byte 0x01, expected 0x00/],
  ];
  for (const [data, pattern] of cases) {
    await assert.rejects(serde.deserialize(data), assertKascade(ErrorCode.DecodeFailed, pattern), pattern.source);
  }
});

test('a truncated body or trailing bytes are DecodeFailed', async () => {
  const serde = createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: clickV1 });
  const bytes = (await serde.serialize({ id: 'c1', score: 0.5, count: 3 }))!;
  await assert.rejects(
    serde.deserialize(bytes.subarray(0, bytes.length - 2)),
    assertKascade(ErrorCode.DecodeFailed, /^Avro body written with schema id 1 cannot be decoded: truncated buffer$/),
  );
  await assert.rejects(
    serde.deserialize(Buffer.concat([bytes, Buffer.from([0])])),
    assertKascade(ErrorCode.DecodeFailed, /^Avro body written with schema id 1 cannot be decoded: trailing data$/),
  );
  // Only the header: the body is missing entirely.
  await assert.rejects(serde.deserialize(bytes.subarray(0, 5)), assertKascade(ErrorCode.DecodeFailed, /truncated buffer/));
});

test('an unknown schema id is SchemaNotFound, not retriable', async () => {
  const serde = createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: clickV1 });
  const frame = Buffer.from([0, 0, 0, 0, 0, 0x02, 0x61]);
  frame.writeInt32BE(2147480000, 1);
  await assert.rejects(serde.deserialize(frame), (error: unknown) => {
    assert.ok(isKascadeError(error, ErrorCode.SchemaNotFound));
    assert.match(error.message, /schema id 2147480000 is not known/);
    assert.equal(error.retriable, false);
    return true;
  });
});

test('an unknown schema id is taken as unknown for unknownIdTtlMs without asking the registry again (poison with the same few ids), then asked again', async () => {
  // Bytes written with schema id 1 of another registry; this one does not have id 1 yet.
  const frame = (await createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: clickV1 }).serialize({ id: 'c1', score: 0.5, count: 3 }))!;
  const registry = new ObservedRegistry();
  let now = 1_000_000;
  const serde = createAvroSerde({ topic: 'clicks', registry, schema: clickV1, registerAtInit: false, unknownIdTtlMs: 1000, now: () => now });
  const notFound = (error: unknown): boolean => isKascadeError(error, ErrorCode.SchemaNotFound) && /schema id 1 is not known/.test(error.message);
  // A chunk's records with the same id share one lookup; the records after it within the TTL ask nothing.
  await Promise.all(Array.from({ length: 20 }, () => assert.rejects(serde.deserialize(frame), notFound)));
  assert.equal(registry.lookups, 1);
  await registry.inner.register('clicks-value', JSON.stringify(clickV1));
  now += 999;
  await assert.rejects(serde.deserialize(frame), notFound);
  assert.equal(registry.lookups, 1);
  // Past the TTL the registry is asked again, and now knows the id.
  now += 1;
  assert.deepEqual(await serde.deserialize(frame), { id: 'c1', score: 0.5, count: 3 });
  assert.equal(registry.lookups, 2);
});

test('a registry outage is never remembered as an unknown id', async () => {
  const registry = new ObservedRegistry();
  const serde = createAvroSerde({ topic: 'clicks', registry, schema: clickV1, now: () => 0 });
  const frame = Buffer.from([0, 0, 0, 0, 5, 0x02, 0x61]);
  registry.down = true;
  await assert.rejects(serde.deserialize(frame), (error: unknown) => isKascadeError(error, ErrorCode.RegistryUnreachable));
  registry.down = false;
  await assert.rejects(serde.deserialize(frame), (error: unknown) => isKascadeError(error, ErrorCode.SchemaNotFound));
  assert.equal(registry.lookups, 2);
});

test('a registry outage surfaces as retriable RegistryUnreachable, and is not remembered', async () => {
  const registry = new ObservedRegistry();
  const writer = createAvroSerde({ topic: 'clicks', registry, schema: clickV1 });
  const bytes = await writer.serialize({ id: 'c1', score: 0.5, count: 3 });
  const reader = createAvroSerde({ topic: 'clicks', registry, schema: clickV2 });
  registry.down = true;
  const retriable = (error: unknown): boolean => isKascadeError(error, ErrorCode.RegistryUnreachable) && error.retriable;
  await assert.rejects(reader.init(), retriable);
  await assert.rejects(reader.deserialize(bytes), retriable);
  await assert.rejects(reader.serialize({ id: 'c2', score: 1, count: 1 }), retriable);
  registry.down = false;
  await reader.init();
  assert.deepEqual(await reader.deserialize(bytes), { id: 'c1', score: 0.5, count: 3, campaign: 'none' });
});

test('a registered writer schema that is not valid Avro is DecodeFailed', async () => {
  const broken: SchemaRegistryClient = {
    register: () => Promise.resolve(1),
    schemaById: () => Promise.resolve('{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}'),
    latestVersion: () => Promise.reject(new Error('not used')),
  };
  const serde = createAvroSerde({ topic: 'clicks', registry: broken });
  await assert.rejects(
    serde.deserialize(Buffer.from([0, 0, 0, 0, 9, 0])),
    assertKascade(ErrorCode.DecodeFailed, /^schema id 9 from the registry is not a valid Avro schema: .*nope/),
  );
});

test('an invalid topic schema fails init with ConfigInvalid naming the topic', async () => {
  const serde = createAvroSerde({ topic: 'clicks', registry: new InMemorySchemaRegistry(), schema: { type: 'record', name: 'X', fields: 'no' } as unknown as avro.schema.AvroSchema });
  await assert.rejects(serde.init(), assertKascade(ErrorCode.ConfigInvalid, /^topic "clicks": the Avro schema is not valid: /));
});
