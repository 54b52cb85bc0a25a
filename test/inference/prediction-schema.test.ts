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
