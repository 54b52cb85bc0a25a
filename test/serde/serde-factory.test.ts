import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import type avro from 'avsc';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { createTopicSerdes } from '../../src/serde/serde-factory.js';
import { Topology, type TopologyInput } from '../../src/topology/spec.js';
import { InMemorySchemaRegistry } from '../../src/testing/in-memory-schema-registry.js';

const BASE_DIR = '/topologies';
const CLICK_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'score', type: 'double' },
  ],
});

const clickSchema = JSON.parse(CLICK_SCHEMA) as avro.schema.RecordType;

function topology(topics: TopologyInput['topics'], output = 'scored'): ReturnType<typeof Topology.parse> {
  return Topology.parse({
    name: 'demo',
    topics,
    stages: [{ name: 'score', type: 'transform', input: 'clicks', function: 'identity', output }],
  });
}

/** A file system of schema files, recording what was read. */
function files(contents: Readonly<Record<string, string>>): { readFile: (path: string) => Promise<string>; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile: (path: string) => {
      reads.push(path);
      const text = contents[path];
      return text === undefined ? Promise.reject(new Error(`ENOENT: no such file or directory, open '${path}'`)) : Promise.resolve(text);
    },
  };
}

function configInvalid(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), `expected ConfigInvalid, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

test('one serde per topic from its format; undeclared topics are JSON', () => {
  const spec = topology({ clicks: { format: 'bytes' }, scored: { format: 'avro', schema: 'schemas/click.avsc' } });
  const serdes = createTopicSerdes(spec, { registry: new InMemorySchemaRegistry(), baseDir: BASE_DIR, ...files({}) });
  assert.equal(serdes.serdeFor('clicks').format, 'bytes');
  assert.equal(serdes.serdeFor('scored').format, 'avro');
  assert.equal(serdes.serdeFor('somewhere.else').format, 'json');
  assert.equal(serdes.serdeFor('scored'), serdes.serdeFor('scored'), 'cached');
});

test('initAll reads the schema relative to baseDir, registers it under <topic>-value, and Avro round-trips', async () => {
  const registry = new InMemorySchemaRegistry();
  const fs = files({ [resolve(BASE_DIR, 'schemas/click.avsc')]: CLICK_SCHEMA });
  const spec = topology({ scored: { format: 'avro', schema: 'schemas/click.avsc' } });
  const serdes = createTopicSerdes(spec, { registry, baseDir: BASE_DIR, readFile: fs.readFile });
  await serdes.initAll(['clicks', 'scored', 'scored']);
  assert.deepEqual(fs.reads, ['/topologies/schemas/click.avsc']);
  assert.deepEqual(registry.subjects(), ['scored-value']);
  const serde = serdes.serdeFor('scored');
  const value = { id: 'c1', score: 0.5 };
  assert.deepEqual(await serde.deserialize(await serde.serialize(value)), value);
  assert.deepEqual(fs.reads.length, 1, 'the file is read once');
});

test('an external topic keeps its schema as a reader schema: nothing is registered at init', async () => {
  const registry = new InMemorySchemaRegistry();
  const fs = files({ [resolve(BASE_DIR, 'click.avsc')]: CLICK_SCHEMA });
  const spec = topology({ clicks: { format: 'avro', schema: 'click.avsc', external: true } });
  const serdes = createTopicSerdes(spec, { registry, baseDir: BASE_DIR, readFile: fs.readFile });
  await serdes.initAll(['clicks', 'scored']);
  assert.deepEqual(fs.reads, ['/topologies/click.avsc'], 'read and checked at init all the same');
  assert.deepEqual(registry.subjects(), []);
});

test('a schema file that cannot be read, is not JSON or is not Avro fails initAll with ConfigInvalid naming topic and file', async () => {
  const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
    [{}, /^topic "scored": Avro schema file \/topologies\/click\.avsc cannot be read: ENOENT/],
    [{ '/topologies/click.avsc': '{"type": "record",' }, /^topic "scored": Avro schema file \/topologies\/click\.avsc is not JSON: /],
    [{ '/topologies/click.avsc': '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "strin"}]}' }, /^topic "scored": Avro schema file \/topologies\/click\.avsc is not a valid Avro schema: .*strin/],
  ];
  for (const [contents, pattern] of cases) {
    const spec = topology({ scored: { format: 'avro', schema: 'click.avsc' } });
    const serdes = createTopicSerdes(spec, { registry: new InMemorySchemaRegistry(), baseDir: BASE_DIR, ...files(contents) });
    await assert.rejects(serdes.initAll(['clicks', 'scored']), configInvalid(pattern), pattern.source);
  }
});

test('an Avro topic a stage writes to must declare a schema', async () => {
  const spec = topology({ scored: { format: 'avro' }, clicks: { format: 'avro' } });
  const serdes = createTopicSerdes(spec, { registry: new InMemorySchemaRegistry(), baseDir: BASE_DIR, ...files({}) });
  await assert.rejects(serdes.initAll(['clicks', 'scored']), configInvalid(/^topic "scored" has format avro and a stage writes to it, but it declares no schema/));
  // An input-only Avro topic without a schema is fine: records decode in their writer's shape.
  await serdes.initAll(['clicks']);
  // So is one a stage of another process writes (`kascade run --stage` of a reader only).
  await createTopicSerdes(spec, { registry: new InMemorySchemaRegistry(), baseDir: BASE_DIR, ...files({}) }).initAll(['clicks', 'scored'], []);
});

test('knownAvroSchema: the schema file (or a provided schema), else the latest version under <topic>-value, else unknown; undefined for other formats', async () => {
  const registry = new InMemorySchemaRegistry();
  const fs = files({ [resolve(BASE_DIR, 'click.avsc')]: CLICK_SCHEMA });
  const spec = topology({ clicks: { format: 'avro', external: true }, scored: { format: 'avro', schema: 'click.avsc' }, raw: { format: 'bytes' } });
  const serdes = createTopicSerdes(spec, { registry, baseDir: BASE_DIR, readFile: fs.readFile });
  assert.deepEqual(await serdes.knownAvroSchema('scored'), { source: 'declared', schema: clickSchema });
  assert.deepEqual(await serdes.knownAvroSchema('clicks'), { source: 'unknown', subject: 'clicks-value' });

  const older = JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'id', type: 'string' }] });
  await registry.register('clicks-value', older);
  const id = await registry.register('clicks-value', CLICK_SCHEMA);
  assert.deepEqual(await serdes.knownAvroSchema('clicks'), { source: 'registry', schema: clickSchema, subject: 'clicks-value', version: 2, id });

  assert.equal(await serdes.knownAvroSchema('raw'), undefined);
  assert.equal(await serdes.knownAvroSchema('somewhere.else'), undefined, 'undeclared topics are JSON');
});

test('knownAvroSchema: a provided schema is declared; a registered schema that is not valid Avro is ConfigInvalid naming topic, subject and version', async () => {
  const spec = topology({ clicks: { format: 'avro', external: true }, scored: { format: 'avro' } });
  const registry = {
    register: () => Promise.reject(new Error('not used')),
    schemaById: () => Promise.reject(new Error('not used')),
    latestVersion: (subject: string) => Promise.resolve({ subject, version: 4, id: 9, schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}' }),
  };
  const serdes = createTopicSerdes(spec, { registry, baseDir: BASE_DIR, ...files({}) });
  serdes.provideSchema('scored', clickSchema);
  assert.deepEqual(await serdes.knownAvroSchema('scored'), { source: 'declared', schema: clickSchema });
  await assert.rejects(serdes.knownAvroSchema('clicks'), configInvalid(/^topic "clicks": version 4 of subject "clicks-value" \(schema id 9\) is not a valid Avro schema: .*nope/));
});

test('usesProvidedSchema: only an Avro topic without a schema file is written with a provided schema', () => {
  const spec = topology({ generated: { format: 'avro' }, filed: { format: 'avro', schema: 'click.avsc' }, json: { format: 'json' } });
  const serdes = createTopicSerdes(spec, { registry: new InMemorySchemaRegistry(), baseDir: BASE_DIR, ...files({}) });
  assert.deepEqual(['generated', 'filed', 'json', 'undeclared'].map((topic) => serdes.usesProvidedSchema(topic)), [true, false, false, false]);
});
