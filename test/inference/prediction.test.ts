import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import {
  buildPrediction,
  compilePredictionLayout,
  passthroughFieldName,
} from '../../src/inference/prediction.js';

const layout = compilePredictionLayout({ stage: 'score', outputs: ['probability', 'logits'], passthrough: ['user.id', 'adId', 'campaign'] });

test('a prediction is flat: kascade fields, passthrough fields, prediction fields', () => {
  const prediction = buildPrediction(layout, {
    requestId: 'r-1',
    modelId: 'ctr-logreg',
    modelVersion: '3f2a',
    inferenceMs: 1.25,
    value: { user: { id: 'u7', age: 30 }, adId: 42n, f0: 1 },
    outputs: { probability: 0.031, logits: [-3.4, 0.2] },
  });
  assert.deepEqual(prediction, {
    requestId: 'r-1',
    modelId: 'ctr-logreg',
    modelVersion: '3f2a',
    inferenceMs: 1.25,
    user_id: 'u7',
    adId: 42n,
    // Missing in the input: null, so the record says so and a nullable schema takes it.
    campaign: null,
    probability: 0.031,
    logits: [-3.4, 0.2],
  });
  assert.deepEqual(Object.keys(prediction), ['requestId', 'modelId', 'modelVersion', 'inferenceMs', 'user_id', 'adId', 'campaign', 'probability', 'logits']);
});

test('a prediction field the outputs lack is a run failure, not a silent gap', () => {
  assert.throws(
    () => buildPrediction(layout, { requestId: 'r', modelId: 'm', modelVersion: 'v', inferenceMs: 1, value: {}, outputs: { probability: 1 } }),
    (error: unknown) => isKascadeError(error, ErrorCode.InferenceFailed) && error.message === 'model m gave no value for prediction field "logits"',
  );
});

test('passthrough paths are flattened with _', () => {
  assert.equal(passthroughFieldName('user.geo.region'), 'user_geo_region');
  assert.equal(passthroughFieldName('adId'), 'adId');
});

test('name clashes are refused at start, all at once', () => {
  assert.throws(
    () => compilePredictionLayout({ stage: 'score', outputs: ['requestId', 'user_id', 'p'], passthrough: ['modelId', 'user.id', 'user_id'] }),
    (error: unknown) =>
      isKascadeError(error, ErrorCode.ConfigInvalid) &&
      error.message ===
        'stage score: ' +
          [
            'prediction field "modelId" (from passthrough "modelId") is one kascade writes itself (requestId, modelId, modelVersion, inferenceMs)',
            'prediction field "user_id" comes from both passthrough "user.id" and passthrough "user_id"',
            'prediction field "requestId" (from outputs) is one kascade writes itself (requestId, modelId, modelVersion, inferenceMs)',
            'prediction field "user_id" comes from both passthrough "user.id" and outputs',
          ].join('; '),
  );
});
