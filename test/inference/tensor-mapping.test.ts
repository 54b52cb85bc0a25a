import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import type { ModelMetadata, TensorData, TensorInfo } from '../../src/inference/tensor.js';
import { compileTensorMapping, type TensorMappingSpec } from '../../src/inference/tensor-mapping.js';
import type { TensorDtype } from '../../src/topology/spec.js';

function tensor(name: string, type: string, dims: readonly (number | string)[]): TensorInfo {
  return { name, type, dims };
}

/** A logistic regression over 4 features, with a probability and two logits per row. */
const ctr: ModelMetadata = {
  inputs: [tensor('features', 'float32', ['batch', 4])],
  outputs: [tensor('probability', 'float32', ['batch', 1]), tensor('logits', 'float32', ['batch', 2])],
};

const ctrMapping: TensorMappingSpec = {
  inputs: { features: { fields: ['f0', 'f1', 'user.age', 'f3'], dtype: 'float32' } },
  outputs: { probability: { output: 'probability' }, logits: { output: 'logits' } },
};

/** The ConfigInvalid message compileTensorMapping throws. */
function compileError(spec: TensorMappingSpec, metadata: ModelMetadata): string {
  try {
    compileTensorMapping(spec, metadata, 'ctr-logreg');
  } catch (error) {
    assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), String(error));
    return error.message;
  }
  assert.fail('the mapping compiled');
}

/** The record-level error buildFeeds gives `value` (alone in its batch). */
function recordError(spec: TensorMappingSpec, metadata: ModelMetadata, value: unknown): string {
  const { rows, errors } = compileTensorMapping(spec, metadata, 'ctr-logreg').buildFeeds([value]);
  assert.deepEqual(rows, []);
  const error = errors.get(0);
  assert.ok(isKascadeError(error, ErrorCode.TensorMappingFailed), String(error));
  assert.equal(error.retriable, false);
  return error.message;
}

describe('compileTensorMapping: disagreements with the model', () => {
  test('a fields list of the wrong length', () => {
    const spec = { ...ctrMapping, inputs: { features: { fields: ['a', 'b', 'c'], dtype: 'float32' as const } } };
    assert.equal(compileError(spec, ctr), 'model ctr-logreg: input "features" is float32 [batch, 4] but the mapping gives 3 fields');
  });

  test('an input the model does not have, and a model input nobody maps', () => {
    const metadata: ModelMetadata = { ...ctr, inputs: [tensor('features', 'float32', ['batch', 4]), tensor('ids', 'int64', [-1, 2])] };
    const spec = { ...ctrMapping, inputs: { feats: { fields: ['a', 'b', 'c', 'd'], dtype: 'float32' as const } } };
    assert.equal(
      compileError(spec, metadata),
      'model ctr-logreg has no input "feats" (inputs: features, ids); model ctr-logreg: input "features" is not mapped; model ctr-logreg: input "ids" is not mapped',
    );
  });

  test('an output the model does not have', () => {
    const spec = { ...ctrMapping, outputs: { p: { output: 'prob' } } };
    assert.equal(compileError(spec, ctr), 'model ctr-logreg has no output "prob" (outputs: probability, logits)');
  });

  test('a dtype other than the model wants', () => {
    const spec = { ...ctrMapping, inputs: { features: { fields: ['a', 'b', 'c', 'd'], dtype: 'int64' as const } } };
    assert.equal(compileError(spec, ctr), 'model ctr-logreg: input "features" has mapping dtype int64 but the model wants float32');
  });

  test('an element type kascade cannot feed', () => {
    const metadata: ModelMetadata = { ...ctr, inputs: [tensor('features', 'bool', ['batch', 4])] };
    assert.equal(
      compileError(ctrMapping, metadata),
      'model ctr-logreg: input "features" is bool [batch, 4], which kascade cannot feed (supported: float32, float64, int32, int64)',
    );
  });

  test('inputs of another rank than [batch, n]', () => {
    const metadata: ModelMetadata = { ...ctr, inputs: [tensor('features', 'float32', ['batch', 3, 224, 224])] };
    assert.equal(
      compileError(ctrMapping, metadata),
      'model ctr-logreg: input "features" is float32 [batch, 3, 224, 224]: only rank-2 inputs [batch, n] are supported for now',
    );
    const rankOne: ModelMetadata = { ...ctr, inputs: [tensor('features', 'float32', [-1])] };
    assert.equal(
      compileError(ctrMapping, rankOne),
      'model ctr-logreg: input "features" is float32 [-1]: only rank-2 inputs [batch, n] are supported for now',
    );
  });

  test('inputs that fix different batch sizes', () => {
    const metadata: ModelMetadata = { ...ctr, inputs: [tensor('a', 'float32', [1, 1]), tensor('b', 'float32', [4, 1])] };
    const spec = { ...ctrMapping, inputs: { a: { fields: ['x'], dtype: 'float32' as const }, b: { fields: ['y'], dtype: 'float32' as const } } };
    assert.equal(compileError(spec, metadata), 'model ctr-logreg: inputs fix different batch sizes (a: 1, b: 4)');
  });

  test('outputs that cannot become prediction fields', () => {
    const metadata: ModelMetadata = {
      ...ctr,
      outputs: [tensor('probability', 'float32', []), tensor('label', 'string', ['batch'])],
    };
    const spec = { ...ctrMapping, outputs: { p: { output: 'probability' }, label: { output: 'label' } } };
    assert.equal(
      compileError(spec, metadata),
      'model ctr-logreg: output "probability" is float32 []: it has no batch dimension, so it cannot be split into one value per record; ' +
        'model ctr-logreg: output "label" is string [batch], which kascade cannot turn into a prediction field (supported: float32, float64, int32, int64)',
    );
  });

  test('every disagreement is listed at once, in mapping order', () => {
    const metadata: ModelMetadata = { ...ctr, inputs: [tensor('features', 'float32', ['batch', 32]), tensor('ids', 'int64', ['batch', 2])] };
    const spec: TensorMappingSpec = {
      inputs: { features: { fields: Array.from({ length: 30 }, (_, i) => `f${i}`), dtype: 'float32' }, feats: { field: 'x', dtype: 'float32' } },
      outputs: { p: { output: 'prob' } },
    };
    assert.equal(
      compileError(spec, metadata),
      [
        'model ctr-logreg: input "features" is float32 [batch, 32] but the mapping gives 30 fields',
        'model ctr-logreg has no input "feats" (inputs: features, ids)',
        'model ctr-logreg: input "ids" is not mapped',
        'model ctr-logreg has no output "prob" (outputs: probability, logits)',
      ].join('; '),
    );
  });

  test('symbolic, -1 and unknown are accepted: any batch, any width, any element type', () => {
    const metadata: ModelMetadata = {
      inputs: [tensor('a', 'float32', [-1, 'n']), tensor('b', 'unknown', ['batch', -1])],
      outputs: [tensor('y', 'unknown', ['batch'])],
    };
    const spec: TensorMappingSpec = {
      inputs: { a: { fields: ['x', 'y', 'z'], dtype: 'float32' }, b: { field: 'v', dtype: 'int64' } },
      outputs: { y: { output: 'y' } },
    };
    const mapping = compileTensorMapping(spec, metadata, 'ctr-logreg');
    assert.equal(mapping.batchSize, undefined);
  });
});

describe('outputShapes', () => {
  test('one value per row is a scalar; more (or open) is a vector, flattened for higher ranks', () => {
    const metadata: ModelMetadata = {
      inputs: ctr.inputs,
      outputs: [
        tensor('p', 'float32', ['batch', 1]),
        tensor('label', 'int64', ['batch']),
        tensor('logits', 'float32', ['batch', 2]),
        tensor('grid', 'float64', [-1, 3, 4]),
        tensor('tokens', 'int32', ['batch', 'seq']),
      ],
    };
    const spec: TensorMappingSpec = {
      inputs: ctrMapping.inputs,
      outputs: { p: { output: 'p' }, label: { output: 'label' }, logits: { output: 'logits' }, grid: { output: 'grid' }, tokens: { output: 'tokens' } },
    };
    assert.deepEqual(compileTensorMapping(spec, metadata, 'm').outputShapes(), {
      p: 'scalar',
      label: 'scalar',
      logits: { vectorLength: 2 },
      grid: { vectorLength: 12 },
      tokens: {},
    });
  });
});

describe('buildFeeds', () => {
  test('fields: one row per record, row-major, dims [rows, n], dotted paths', () => {
    const mapping = compileTensorMapping(ctrMapping, ctr, 'ctr-logreg');
    const { feeds, rows, errors } = mapping.buildFeeds([
      { f0: 1, f1: 2.5, user: { age: 30 }, f3: -1 },
      { f0: 0.1, f1: true, user: { age: 41 }, f3: 7n },
    ]);
    assert.deepEqual(rows, [0, 1]);
    assert.equal(errors.size, 0);
    const features = feeds.features!;
    assert.equal(features.dtype, 'float32');
    assert.deepEqual(features.dims, [2, 4]);
    assert.deepEqual(features.data, new Float32Array([1, 2.5, 30, -1, 0.1, 1, 41, 7]));
  });

  for (const [dtype, expected] of [
    ['float32', new Float32Array([1, 2, 3, 4.5, -6, 0])],
    ['float64', new Float64Array([1, 2, 3, 4.5, -6, 0])],
  ] as const) {
    test(`field (array) as ${dtype}`, () => {
      const metadata: ModelMetadata = { inputs: [tensor('embedding', dtype, ['batch', 3])], outputs: [] };
      const mapping = compileTensorMapping({ inputs: { embedding: { field: 'e', dtype } }, outputs: {} }, metadata, 'm');
      const { feeds, rows } = mapping.buildFeeds([{ e: [1, 2, 3] }, { e: [4.5, -6, 0] }]);
      assert.deepEqual(rows, [0, 1]);
      assert.deepEqual(feeds.embedding, { dtype, data: expected, dims: [2, 3] });
    });
  }

  test('int32 and int64 inputs get Int32Array and BigInt64Array (bigints kept exact)', () => {
    const metadata: ModelMetadata = { inputs: [tensor('small', 'int32', ['batch', 2]), tensor('ids', 'int64', ['batch', 2])], outputs: [] };
    const spec: TensorMappingSpec = {
      inputs: { small: { fields: ['a', 'b'], dtype: 'int32' }, ids: { field: 'ids', dtype: 'int64' } },
      outputs: {},
    };
    const { feeds } = compileTensorMapping(spec, metadata, 'm').buildFeeds([
      { a: -2147483648, b: 2147483647, ids: [9007199254740993n, -5] },
      { a: 0, b: false, ids: [1, 2n] },
    ]);
    assert.deepEqual(feeds.small, { dtype: 'int32', data: new Int32Array([-2147483648, 2147483647, 0, 0]), dims: [2, 2] });
    assert.deepEqual(feeds.ids, { dtype: 'int64', data: new BigInt64Array([9007199254740993n, -5n, 1n, 2n]), dims: [2, 2] });
  });

  test('an array field the model leaves open: the most common length of the batch', () => {
    const metadata: ModelMetadata = { inputs: [tensor('tokens', 'int64', ['batch', 'seq'])], outputs: [] };
    const mapping = compileTensorMapping({ inputs: { tokens: { field: 't', dtype: 'int64' } }, outputs: {} }, metadata, 'm');
    const { feeds, rows, errors } = mapping.buildFeeds([{ t: [1, 2] }, { t: [3, 4, 5] }, { t: [6, 7, 8] }, { t: [] }]);
    assert.deepEqual(rows, [1, 2]);
    assert.deepEqual(feeds.tokens, { dtype: 'int64', data: new BigInt64Array([3n, 4n, 5n, 6n, 7n, 8n]), dims: [2, 3] });
    assert.deepEqual(
      [...errors].map(([index, error]) => [index, error.message]),
      [
        [0, 'model m: field "t" has 2 numbers, but most records of this batch have 3'],
        [3, 'model m: field "t" is an empty array'],
      ],
    );
  });

  test('bad records get their own error and are left out; rows maps feed rows to values', () => {
    const mapping = compileTensorMapping(ctrMapping, ctr, 'ctr-logreg');
    const good = (n: number) => ({ f0: n, f1: n, user: { age: n }, f3: n });
    const { feeds, rows, errors } = mapping.buildFeeds([good(1), { f0: 1, f1: 2, user: {} }, good(2), 'text', good(3)]);
    assert.deepEqual(rows, [0, 2, 4]);
    assert.deepEqual(feeds.features, { dtype: 'float32', data: new Float32Array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]), dims: [3, 4] });
    assert.deepEqual(
      [...errors].map(([index, error]) => [index, error.code, error.message]),
      [
        [1, ErrorCode.TensorMappingFailed, 'model ctr-logreg: field "user.age" is missing; field "f3" is missing'],
        [3, ErrorCode.TensorMappingFailed, 'model ctr-logreg: the record value is "text", not an object'],
      ],
    );
    // Tight buffers: the tensor's buffer is exactly its data (it may be transferred to a worker).
    assert.equal(feeds.features.data.buffer.byteLength, 12 * 4);
  });

  test('a batch where nothing fits gives empty feeds', () => {
    const { feeds, rows, errors } = compileTensorMapping(ctrMapping, ctr, 'ctr-logreg').buildFeeds([null, [1, 2]]);
    assert.deepEqual(rows, []);
    assert.deepEqual(feeds.features, { dtype: 'float32', data: new Float32Array(0), dims: [0, 4] });
    assert.equal(errors.get(0)?.message, 'model ctr-logreg: the record value is null, not an object');
    assert.equal(errors.get(1)?.message, 'model ctr-logreg: the record value is an array, not an object');
  });

  test('a model with a fixed batch size gets exactly that many rows, zero-padded', () => {
    const metadata: ModelMetadata = { inputs: [tensor('x', 'float32', [4, 2])], outputs: [tensor('y', 'float32', [4, 1])] };
    const mapping = compileTensorMapping({ inputs: { x: { fields: ['a', 'b'], dtype: 'float32' } }, outputs: { y: { output: 'y' } } }, metadata, 'm');
    assert.equal(mapping.batchSize, 4);
    const { feeds, rows } = mapping.buildFeeds([{ a: 1, b: 2 }, { a: 9, b: 'x' }, { a: 3, b: 4 }]);
    assert.deepEqual(rows, [0, 2]);
    assert.deepEqual(feeds.x, { dtype: 'float32', data: new Float32Array([1, 2, 3, 4, 0, 0, 0, 0]), dims: [4, 2] });
    assert.throws(
      () => mapping.buildFeeds([{}, {}, {}, {}, {}]),
      (error: unknown) =>
        isKascadeError(error, ErrorCode.ConfigInvalid) &&
        error.message === 'model m fixes its batch dimension at 4: it takes at most 4 records per run, 5 were given (split the batch)',
    );
  });
});

describe('buildFeeds: what a record gets told', () => {
  const one = (dtype: TensorDtype): [TensorMappingSpec, ModelMetadata] => [
    { inputs: { x: { fields: ['f7'], dtype } }, outputs: {} },
    { inputs: [tensor('x', dtype, ['batch', 1])], outputs: [] },
  ];
  const cases: [TensorDtype, unknown, string][] = [
    ['float32', undefined, 'field "f7" is missing'],
    ['float32', 'abc', 'field "f7" is "abc", not a number'],
    ['float32', '3.5', 'field "f7" is "3.5", not a number'],
    ['float32', null, 'field "f7" is null, not a number'],
    ['float32', { v: 1 }, 'field "f7" is an object, not a number'],
    ['float32', [1], 'field "f7" is an array, not a number'],
    ['float32', Buffer.from('ab'), 'field "f7" is bytes, not a number'],
    ['float32', Number.NaN, 'field "f7" is NaN, not a finite number'],
    ['float64', Number.POSITIVE_INFINITY, 'field "f7" is Infinity, not a finite number'],
    ['float32', 1e39, 'field "f7" is 1e+39, outside the float32 range'],
    ['float32', 'x'.repeat(60), `field "f7" is "${'x'.repeat(37)}...", not a number`],
    ['int32', 2.5, 'field "f7" is 2.5, not an integer'],
    ['int32', 2147483648, 'field "f7" is 2147483648, outside the int32 range'],
    ['int32', -2147483649n, 'field "f7" is -2147483649, outside the int32 range'],
    ['int64', 0.5, 'field "f7" is 0.5, not an integer'],
    ['int64', 2 ** 63, 'field "f7" is 9223372036854776000, outside the int64 range'],
    ['int64', 2n ** 63n, 'field "f7" is 9223372036854775808, outside the int64 range'],
  ];
  for (const [dtype, found, message] of cases) {
    test(`${dtype}: ${message}`, () => {
      const [spec, metadata] = one(dtype);
      assert.equal(recordError(spec, metadata, found === undefined ? {} : { f7: found }), `model ctr-logreg: ${message}`);
    });
  }

  const embedding: [TensorMappingSpec, ModelMetadata] = [
    { inputs: { e: { field: 'embedding', dtype: 'float32' } }, outputs: {} },
    { inputs: [tensor('e', 'float32', ['batch', 32])], outputs: [] },
  ];
  const arrayCases: [unknown, string][] = [
    [undefined, 'field "embedding" is missing'],
    ['abc', 'field "embedding" is "abc", not an array of numbers'],
    [Array.from({ length: 30 }, () => 0), 'field "embedding" has 30 numbers, the model wants 32'],
    [[...Array.from({ length: 31 }, () => 0), 'x'], 'field "embedding" item 31 is "x", not a number'],
    [[Number.NaN, ...Array.from({ length: 31 }, () => Number.NaN)], 'field "embedding" item 0 is NaN, not a finite number'],
  ];
  for (const [found, message] of arrayCases) {
    test(`array field: ${message}`, () => {
      const [spec, metadata] = embedding;
      assert.equal(recordError(spec, metadata, found === undefined ? {} : { embedding: found }), `model ctr-logreg: ${message}`);
    });
  }

  test('every problem of a record across inputs, in one message', () => {
    const metadata: ModelMetadata = { inputs: [tensor('x', 'float32', ['batch', 2]), tensor('e', 'float32', ['batch', 2])], outputs: [] };
    const spec: TensorMappingSpec = { inputs: { x: { fields: ['a', 'b'], dtype: 'float32' }, e: { field: 'v', dtype: 'float32' } }, outputs: {} };
    assert.equal(
      recordError(spec, metadata, { a: 'one', v: [1] }),
      'model ctr-logreg: field "a" is "one", not a number; field "b" is missing; field "v" has 1 number, the model wants 2',
    );
  });
});

describe('readOutputs', () => {
  const outputs: Record<string, TensorData> = {
    probability: { dtype: 'float32', data: new Float32Array([0.25, 0.5]), dims: [2, 1] },
    logits: { dtype: 'float32', data: new Float32Array([-1, 1, -2, 2]), dims: [2, 2] },
  };

  test('a number for one value per row, an array otherwise, in mapping order', () => {
    const mapping = compileTensorMapping(ctrMapping, ctr, 'ctr-logreg');
    assert.deepEqual(mapping.readOutputs(outputs, 0), { probability: 0.25, logits: [-1, 1] });
    assert.deepEqual(mapping.readOutputs(outputs, 1), { probability: 0.5, logits: [-2, 2] });
    assert.deepEqual(Object.keys(mapping.readOutputs(outputs, 1)), ['probability', 'logits']);
  });

  test('int64 outputs become numbers; prediction fields are named by the mapping', () => {
    const metadata: ModelMetadata = { inputs: ctr.inputs, outputs: [tensor('label', 'int64', ['batch']), tensor('top', 'int64', ['batch', 2])] };
    const spec: TensorMappingSpec = { inputs: ctrMapping.inputs, outputs: { clicked: { output: 'label' }, top2: { output: 'top' } } };
    const mapping = compileTensorMapping(spec, metadata, 'm');
    const result = mapping.readOutputs(
      {
        label: { dtype: 'int64', data: new BigInt64Array([0n, 1n]), dims: [2] },
        top: { dtype: 'int64', data: new BigInt64Array([3n, 4n, 5n, 6n]), dims: [2, 2] },
      },
      1,
    );
    assert.deepEqual(result, { clicked: 1, top2: [5, 6] });
  });

  test('outputs that do not have the row fail the run (InferenceFailed), not the record', () => {
    const mapping = compileTensorMapping(ctrMapping, ctr, 'ctr-logreg');
    const failsWith = (message: string) => (error: unknown) => isKascadeError(error, ErrorCode.InferenceFailed) && error.message === message;
    assert.throws(() => mapping.readOutputs({ logits: outputs.logits! }, 0), failsWith('model ctr-logreg returned no output "probability"'));
    assert.throws(() => mapping.readOutputs(outputs, 2), failsWith('model ctr-logreg: output "probability" [2, 1] (2 values) has no row 2'));
    const wide = { ...outputs, probability: { dtype: 'float32' as const, data: new Float32Array(4), dims: [2, 2] } };
    assert.throws(() => mapping.readOutputs(wide, 0), failsWith('model ctr-logreg: output "probability" has 2 values per row, its metadata said 1'));
  });
});
