import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type avro from 'avsc';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { buildPrediction, compilePredictionLayout } from '../../src/inference/prediction.js';
import { avroName, fieldSchemaOf, predictionAvroSchema, UNKNOWN_PASSTHROUGH_SCHEMA } from '../../src/inference/prediction-schema.js';
import { createAvroSerde } from '../../src/serde/avro-serde.js';
import { InMemorySchemaRegistry } from '../../src/testing/in-memory-schema-registry.js';

/** An input topic's schema with nested, nullable and referenced named types. */
const adRequest = {
  type: 'record',
  name: 'AdRequest',
  namespace: 'dev.kascade.ads',
  fields: [
    { name: 'requestId', type: 'string' },
    { name: 'adId', type: 'long' },
    {
      name: 'user',
      type: {
        type: 'record',
        name: 'User',
        fields: [
          { name: 'id', type: 'string' },
          {
            name: 'geo',
            type: ['null', { type: 'record', name: 'Geo', fields: [{ name: 'region', type: { type: 'enum', name: 'Region', symbols: ['EU', 'US'] } }] }],
            default: null,
          },
        ],
      },
    },
    { name: 'previousUser', type: ['null', 'User'], default: null },
    { name: 'homeRegion', type: 'Region' },
    { name: 'features', type: { type: 'array', items: 'double' } },
  ],
} satisfies avro.schema.AvroSchema;

const region = { type: 'enum', name: 'dev.kascade.ads.Region', symbols: ['EU', 'US'] };
const geo = { type: 'record', name: 'dev.kascade.ads.Geo', fields: [{ name: 'region', type: region }] };
const user = {
  type: 'record',
  name: 'dev.kascade.ads.User',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'geo', type: ['null', geo], default: null },
  ],
};

describe('fieldSchemaOf', () => {
  test('primitive fields, nested by dotted path', () => {
    assert.equal(fieldSchemaOf(adRequest, 'adId'), 'long');
    assert.equal(fieldSchemaOf(adRequest, 'user.id'), 'string');
    assert.deepEqual(fieldSchemaOf(adRequest, 'features'), { type: 'array', items: 'double' });
  });

  test('named types come out fully qualified and defined, even when the field only refers to them', () => {
    assert.deepEqual(fieldSchemaOf(adRequest, 'user'), user);
    assert.deepEqual(fieldSchemaOf(adRequest, 'homeRegion'), region);
    assert.deepEqual(fieldSchemaOf(adRequest, 'previousUser'), ['null', user]);
  });

  test('a path through a nullable record is nullable', () => {
    assert.deepEqual(fieldSchemaOf(adRequest, 'user.geo.region'), ['null', region]);
    assert.deepEqual(fieldSchemaOf(adRequest, 'previousUser.id'), ['null', 'string']);
  });

  test('a null-namespace type inside a namespaced one stays in the null namespace', () => {
    const click = {
      type: 'record',
      name: 'Click',
      fields: [
        { name: 'meta', type: { type: 'record', name: 'dev.Meta', fields: [{ name: 'tag', type: { type: 'record', name: 'Tag', namespace: '', fields: [] } }] } },
        { name: 'tag', type: 'Tag' },
      ],
    } satisfies avro.schema.AvroSchema;
    const tag = { type: 'record', name: 'Tag', fields: [] };
    assert.deepEqual(fieldSchemaOf(click, 'meta'), { type: 'record', name: 'dev.Meta', fields: [{ name: 'tag', type: { ...tag, namespace: '' } }] });
    assert.deepEqual(fieldSchemaOf(click, 'tag'), tag);
    const schema = predictionAvroSchema({
      name: 'p',
      outputs: {},
      passthrough: [{ field: 'meta', schema: fieldSchemaOf(click, 'meta') }, { field: 'tag', schema: fieldSchemaOf(click, 'tag') }],
    });
    assert.deepEqual(schema.fields.at(-1), { name: 'tag', type: 'Tag', doc: 'Copied from input field tag' });
  });

  test('undefined for paths the schema does not have', () => {
    assert.equal(fieldSchemaOf(adRequest, 'nope'), undefined);
    assert.equal(fieldSchemaOf(adRequest, 'adId.value'), undefined);
    assert.equal(fieldSchemaOf(adRequest, 'user.geo.city'), undefined);
    assert.equal(fieldSchemaOf('string', 'x'), undefined);
  });
});

describe('predictionAvroSchema', () => {
  const outputs = { probability: 'scalar', logits: { vectorLength: 2 }, tokens: {} } as const;
  const passthrough = [
    { field: 'adId', schema: fieldSchemaOf(adRequest, 'adId') },
    { field: 'user', schema: fieldSchemaOf(adRequest, 'user') },
    { field: 'homeRegion', schema: fieldSchemaOf(adRequest, 'homeRegion') },
    { field: 'user.geo.region', schema: fieldSchemaOf(adRequest, 'user.geo.region') },
    { field: 'campaign' },
  ];

  test('kascade fields, passthrough fields (their input schema, else a nullable scalar), prediction fields as doubles', () => {
    assert.deepEqual(predictionAvroSchema({ name: 'score-champion', outputs, passthrough }), {
      type: 'record',
      name: 'score_champion',
      fields: [
        { name: 'requestId', type: 'string', doc: 'The request id of the input record' },
        { name: 'modelId', type: 'string' },
        { name: 'modelVersion', type: 'string' },
        { name: 'inferenceMs', type: 'double', doc: 'Duration of the model run that served this record (its whole batch), milliseconds' },
        { name: 'adId', type: 'long', doc: 'Copied from input field adId' },
        { name: 'user', type: user, doc: 'Copied from input field user' },
        // Defined once (inside User), referred to by full name afterwards.
        { name: 'homeRegion', type: 'dev.kascade.ads.Region', doc: 'Copied from input field homeRegion' },
        { name: 'user_geo_region', type: ['null', 'dev.kascade.ads.Region'], doc: 'Copied from input field user.geo.region' },
        { name: 'campaign', type: ['null', 'string', 'double', 'boolean'], doc: 'Copied from input field campaign' },
        { name: 'probability', type: 'double' },
        { name: 'logits', type: { type: 'array', items: 'double' }, doc: '2 values per record' },
        { name: 'tokens', type: { type: 'array', items: 'double' } },
      ],
    });
  });

  test('a prediction round-trips through the Avro serde', async () => {
    const schema = predictionAvroSchema({ name: 'score-champion', outputs, passthrough });
    const serde = createAvroSerde({ topic: 'impressions', registry: new InMemorySchemaRegistry(), schema });
    await serde.init();
    const layout = compilePredictionLayout({ stage: 'score-champion', outputs: Object.keys(outputs), passthrough: passthrough.map((p) => p.field) });
    const input = {
      requestId: 'r-1',
      adId: 2n ** 60n,
      user: { id: 'u7', geo: { region: 'EU' } },
      previousUser: null,
      homeRegion: 'US',
      features: [0.5],
      campaign: 'spring',
    };
    const parts = { requestId: 'r-1', modelId: 'ctr-logreg', modelVersion: '3f2a', inferenceMs: 0.75, value: input };
    const prediction = buildPrediction(layout, { ...parts, outputs: { probability: 0.03125, logits: [-1.5, 2], tokens: [] } });
    assert.deepEqual(await serde.deserialize(await serde.serialize(prediction)), prediction);
    assert.equal(prediction.user_geo_region, 'EU');

    // Every kind of value the unknown-schema union takes comes back as it went in.
    for (const campaign of ['', 'spring', 3, -0.5, true, false, null]) {
      const other = buildPrediction(layout, { ...parts, value: { ...input, user: { id: 'u8', geo: null }, campaign }, outputs: { probability: 1, logits: [0, 0], tokens: [7] } });
      assert.equal(other.user_geo_region, null);
      assert.deepEqual(await serde.deserialize(await serde.serialize(other)), other, `campaign ${String(campaign)}`);
    }
  });

  test('structured values need a known schema: without one the encoder refuses them, naming the field', async () => {
    const schema = predictionAvroSchema({ name: 'p', outputs: {}, passthrough: [{ field: 'campaign' }] });
    const serde = createAvroSerde({ topic: 'out', registry: new InMemorySchemaRegistry(), schema });
    const layout = compilePredictionLayout({ stage: 'p', outputs: [], passthrough: ['campaign'] });
    const prediction = buildPrediction(layout, { requestId: 'r', modelId: 'm', modelVersion: 'v', inferenceMs: 1, value: { campaign: { id: 1 } }, outputs: {} });
    await assert.rejects(serde.serialize(prediction), (error: unknown) => isKascadeError(error, ErrorCode.EncodeFailed) && error.message.includes('campaign'));
  });

  test('the unknown-schema union is a nullable scalar', () => {
    assert.deepEqual(UNKNOWN_PASSTHROUGH_SCHEMA, ['null', 'string', 'double', 'boolean']);
  });

  test('names that are not valid Avro, and clashes, are refused at start', () => {
    assert.throws(
      () => predictionAvroSchema({ name: 'p', outputs: { 'click-prob': 'scalar', modelId: 'scalar' }, passthrough: [{ field: 'ad-id' }] }),
      (error: unknown) =>
        isKascadeError(error, ErrorCode.ConfigInvalid) &&
        error.message ===
          'prediction schema p: ' +
            [
              'prediction field "modelId" (from outputs) is one kascade writes itself (requestId, modelId, modelVersion, inferenceMs)',
              'prediction field "ad-id" is not a valid Avro name (letters, digits and _, not starting with a digit)',
              'prediction field "click-prob" is not a valid Avro name (letters, digits and _, not starting with a digit)',
            ].join('; '),
    );
  });

  test('a passthrough type named like the record itself is refused', () => {
    const clash = { type: 'record', name: 'p', fields: [{ name: 'x', type: 'int' }] } satisfies avro.schema.AvroSchema;
    assert.throws(
      () => predictionAvroSchema({ name: 'p', outputs: {}, passthrough: [{ field: 'thing', schema: clash }] }),
      (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && error.message.startsWith('prediction schema p is not valid Avro: '),
    );
  });

  test('record names are sanitized', () => {
    assert.equal(avroName('score-champion'), 'score_champion');
    assert.equal(avroName('2nd.stage'), '_2nd_stage');
    assert.equal(avroName(''), 'Prediction');
  });
});

describe('passthrough types from a writer schema (an Avro input without a schema file)', () => {
  /** What a producer registers: logical types, named types used in several places, maps, unions. */
  const writer = {
    type: 'record',
    name: 'Request',
    namespace: 'dev.kascade.shop',
    fields: [
      { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'count', type: 'int' },
      { name: 'sentAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 } },
      { name: 'discount', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 4 } },
      { name: 'refund', type: ['null', 'Money'], default: null },
      { name: 'scores', type: { type: 'map', values: { type: 'array', items: 'double' } } },
      { name: 'amount', type: ['null', 'long', 'string'], default: null },
      // Two number branches: avsc wraps the value ({ "double": 1.5 }).
      { name: 'measure', type: ['null', 'float', 'double'], default: null },
      {
        name: 'user',
        type: {
          type: 'record',
          name: 'User',
          namespace: 'dev.kascade.people',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['FREE', 'GOLD'] } },
            { name: 'addresses', type: { type: 'array', items: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] } } },
          ],
        },
      },
    ],
  } satisfies avro.schema.AvroSchema;
  const money = { type: 'fixed', name: 'dev.kascade.shop.Money', size: 8, logicalType: 'decimal', precision: 18, scale: 4 };
  const tier = { type: 'enum', name: 'dev.kascade.people.Tier', symbols: ['FREE', 'GOLD'] };

  test('logical types keep their attributes; a decimal on fixed is a qualified named type', () => {
    assert.deepEqual(fieldSchemaOf(writer, 'id'), { type: 'string', logicalType: 'uuid' });
    assert.deepEqual(fieldSchemaOf(writer, 'sentAt'), { type: 'long', logicalType: 'timestamp-millis' });
    assert.deepEqual(fieldSchemaOf(writer, 'day'), { type: 'int', logicalType: 'date' });
    assert.deepEqual(fieldSchemaOf(writer, 'price'), { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 });
    assert.deepEqual(fieldSchemaOf(writer, 'discount'), money);
    assert.deepEqual(fieldSchemaOf(writer, 'refund'), ['null', money]);
    assert.deepEqual(fieldSchemaOf(writer, 'scores'), { type: 'map', values: { type: 'array', items: 'double' } });
    assert.deepEqual(fieldSchemaOf(writer, 'amount'), ['null', 'long', 'string']);
    assert.deepEqual(fieldSchemaOf(writer, 'measure'), ['null', 'float', 'double']);
    assert.deepEqual(fieldSchemaOf(writer, 'user.tier'), tier);
  });

  test('named types are defined once, by the first passthrough field that uses them, whatever their namespace', () => {
    const fields = ['user.tier', 'user', 'discount', 'refund'];
    const schema = predictionAvroSchema({ name: 'score', outputs: {}, passthrough: fields.map((field) => ({ field, schema: fieldSchemaOf(writer, field) })) });
    assert.deepEqual(
      schema.fields.slice(4).map((field) => [field.name, field.type]),
      [
        ['user_tier', tier],
        [
          'user',
          {
            type: 'record',
            name: 'dev.kascade.people.User',
            fields: [
              { name: 'id', type: 'long' },
              { name: 'tier', type: 'dev.kascade.people.Tier' },
              { name: 'addresses', type: { type: 'array', items: { type: 'record', name: 'dev.kascade.people.Address', fields: [{ name: 'city', type: 'string' }] } } },
            ],
          },
        ],
        ['discount', money],
        ['refund', ['null', 'dev.kascade.shop.Money']],
      ],
    );
  });

  test('records decoded in their writer shape come out of the prediction serde unchanged, every kind of field', async () => {
    const registry = new InMemorySchemaRegistry();
    const producer = createAvroSerde({ topic: 'requests', registry, schema: writer });
    // The stage reads without a reader schema: values come in the writer's shape.
    const stageInput = createAvroSerde({ topic: 'requests', registry });
    const passthrough = ['id', 'count', 'sentAt', 'day', 'price', 'discount', 'refund', 'scores', 'amount', 'measure', 'user', 'user.id', 'user.tier'];
    const schema = predictionAvroSchema({ name: 'score', outputs: { probability: 'scalar' }, passthrough: passthrough.map((field) => ({ field, schema: fieldSchemaOf(writer, field) })) });
    const predictions = createAvroSerde({ topic: 'predictions', registry, schema });
    const layout = compilePredictionLayout({ stage: 'score', outputs: ['probability'], passthrough });
    const requests = [
      { refund: null, amount: null, measure: null, tier: 'FREE', id: 11 },
      { refund: Buffer.from('00000000000186a0', 'hex'), amount: 7, measure: { float: 0.5 }, tier: 'GOLD', id: 2 ** 40 },
      { refund: Buffer.alloc(8, 0xff), amount: 2n ** 62n, measure: { double: 0.1 }, tier: 'GOLD', id: -1 },
      { refund: null, amount: 'seven', measure: null, tier: 'FREE', id: 0 },
    ].map((variant, index) => ({
      id: `00000000-0000-4000-8000-00000000000${index}`,
      count: 11 + index,
      sentAt: 1_700_000_000_123 + index,
      day: 19_700 + index,
      price: Buffer.from([0x30, 0x39 + index]),
      discount: Buffer.from('0000000000002710', 'hex'),
      refund: variant.refund,
      scores: { ctr: [0.25, 0.5], cvr: [] },
      amount: variant.amount,
      measure: variant.measure,
      user: { id: variant.id, tier: variant.tier, addresses: [{ city: 'Lyon' }, { city: 'Graz' }] },
    }));
    for (const request of requests) {
      const value = (await stageInput.deserialize(await producer.serialize(request))) as typeof request;
      const prediction = buildPrediction(layout, { requestId: value.id, modelId: 'm', modelVersion: 'v', inferenceMs: 1, value, outputs: { probability: 0.5 } });
      const written = (await predictions.deserialize(await predictions.serialize(prediction))) as Record<string, unknown>;
      const { user, ...top } = request;
      assert.deepEqual(written, { ...prediction, ...top, user, user_id: user.id, user_tier: user.tier });
    }
  });
});
