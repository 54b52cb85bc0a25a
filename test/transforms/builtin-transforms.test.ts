import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { registerBuiltinTransforms } from '../../src/transforms/builtin-transforms.js';
import { exploreTransform } from '../../src/transforms/builtins/explore.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { builtin, context, frozen } from './run-transform.js';

function configError(message: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), `expected ConfigInvalid, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  };
}

function recordError(message: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof Error && !isKascadeError(error));
    assert.equal(error.message, message);
    return true;
  };
}

describe('registerBuiltinTransforms', () => {
  it('registers every built-in and returns the registry', () => {
    const registry = new TransformRegistry();
    assert.equal(registerBuiltinTransforms(registry, { baseDir: '.' }), registry);
    assert.deepEqual(registry.names(), ['argmax', 'collect', 'enrich', 'explode', 'explore', 'rename', 'select', 'softmax', 'threshold', 'top-k']);
  });

  it('rejects records that are not objects', () => {
    assert.throws(() => builtin('softmax', { field: 'x' })([1, 2]), recordError('record is not an object (got array)'));
    assert.throws(() => builtin('select', { fields: ['a'] })(null), recordError('record is not an object (got null)'));
  });

  it('validates options once per options object and reports unknown keys', () => {
    const run = builtin('top-k', { field: 'x', k: 1, kk: 2 });
    assert.throws(() => run({ x: [1] }), configError('transform "top-k": options: unknown key "kk"'));
    assert.throws(() => run({ x: [1] }), configError('transform "top-k": options: unknown key "kk"'));
  });
});

describe('select', () => {
  it('keeps only the listed fields, in order', () => {
    const input = frozen({ a: 1, b: { c: 2 }, d: 3 });
    const output = builtin('select', { fields: ['d', 'b'] })(input);
    assert.deepEqual(output, { d: 3, b: { c: 2 } });
    assert.deepEqual(Object.keys(output as object), ['d', 'b']);
  });

  it('omits missing optional fields and rejects missing required ones', () => {
    const run = builtin('select', { fields: ['a', 'b'], optional: ['b'] });
    assert.deepEqual(run({ a: 1, z: 0 }), { a: 1 });
    assert.throws(() => run({ b: 1 }), recordError('field "a" is missing'));
    assert.throws(() => builtin('select', { fields: ['constructor'] })({}), recordError('field "constructor" is missing'));
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('select', {})({}), configError('transform "select": options.fields: required'));
    assert.throws(() => builtin('select', { fields: [] })({}), configError('transform "select": options.fields: must list at least one field'));
    assert.throws(() => builtin('select', { fields: 'a' })({}), configError('transform "select": options.fields: expected array, got string'));
    assert.throws(
      () => builtin('select', { fields: ['a', ''], optional: ['b'] })({}),
      configError('transform "select": options.fields[1]: must not be empty; options.optional[0]: "b" is not in options.fields'),
    );
  });
});

describe('rename', () => {
  it('renames in place and keeps the other fields', () => {
    const output = builtin('rename', { fields: { a: 'x' } })(frozen({ a: 1, b: 2 }));
    assert.deepEqual(output, { x: 1, b: 2 });
    assert.deepEqual(Object.keys(output as object), ['x', 'b']);
  });

  it('can swap two fields', () => {
    assert.deepEqual(builtin('rename', { fields: { a: 'b', b: 'a' } })({ a: 1, b: 2 }), { b: 1, a: 2 });
  });

  it('rejects records missing a field or whose new name is taken', () => {
    const run = builtin('rename', { fields: { a: 'b' } });
    assert.throws(() => run({ c: 1 }), recordError('field "a" is missing'));
    assert.throws(() => run({ a: 1, b: 2 }), recordError('field "b" already exists (renaming "a")'));
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('rename', { fields: {} })({}), configError('transform "rename": options.fields: must rename at least one field'));
    assert.throws(() => builtin('rename', { fields: { a: 'c', b: 'c' } })({}), configError('transform "rename": options.fields.b: "a" is also renamed to "c"'));
    assert.throws(
      () => builtin('rename', { fields: { '': 'x', a: 3 } })({}),
      configError('transform "rename": options.fields[""]: key must not be empty; options.fields.a: expected string, got number'),
    );
  });
});

describe('softmax', () => {
  it('turns logits into probabilities in place', () => {
    const output = builtin('softmax', { field: 'logits' })(frozen({ id: 'r', logits: [0, Math.log(3)] })) as { logits: number[] };
    assert.equal(output.logits.length, 2);
    assert.ok(Math.abs(output.logits[0]! - 0.25) < 1e-12);
    assert.ok(Math.abs(output.logits[1]! - 0.75) < 1e-12);
  });

  it('is numerically stable for large logits and writes to output', () => {
    const output = builtin('softmax', { field: 'logits', output: 'probs' })({ logits: [1000, 1000] });
    assert.deepEqual(output, { logits: [1000, 1000], probs: [0.5, 0.5] });
    assert.deepEqual(builtin('softmax', { field: 'logits' })({ logits: [] }), { logits: [] });
  });

  it('rejects records whose field is not a numeric array', () => {
    const run = builtin('softmax', { field: 'logits' });
    assert.throws(() => run({}), recordError('field "logits" is missing'));
    assert.throws(() => run({ logits: 'x' }), recordError('field "logits" is not an array (got string)'));
    assert.throws(() => run({ logits: [1, '2'] }), recordError('field "logits[1]" is not a finite number (got string)'));
    assert.throws(() => run({ logits: [1, null] }), recordError('field "logits[1]" is not a finite number (got null)'));
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('softmax', { field: 3 })({}), configError('transform "softmax": options.field: expected string, got number'));
  });
});

describe('argmax', () => {
  it('adds the index and score by default', () => {
    assert.deepEqual(builtin('argmax', { field: 'p' })(frozen({ p: [0.1, 0.7, 0.2] })), { p: [0.1, 0.7, 0.2], label: 1, score: 0.7 });
  });

  it('maps the index through labels, breaks ties by lowest index, honours output names', () => {
    const run = builtin('argmax', { field: 'p', labels: ['cat', 'dog', 'eel'], output: 'class', scoreOutput: 'confidence' });
    assert.deepEqual(run({ p: [0.4, 0.4, 0.2] }), { p: [0.4, 0.4, 0.2], class: 'cat', confidence: 0.4 });
  });

  it('rejects empty arrays and arrays that do not match the labels', () => {
    assert.throws(() => builtin('argmax', { field: 'p' })({ p: [] }), recordError('field "p" is empty'));
    assert.throws(() => builtin('argmax', { field: 'p', labels: ['a', 'b'] })({ p: [1, 2, 3] }), recordError('field "p" has 3 elements but options.labels has 2'));
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('argmax', { field: 'p', output: 's', scoreOutput: 's' })({}), configError('transform "argmax": options.scoreOutput: must differ from options.output ("s")'));
    assert.throws(() => builtin('argmax', { field: 'p', labels: [] })({}), configError('transform "argmax": options.labels: must list at least one label'));
    assert.throws(() => builtin('argmax', { field: 'p', score: 's' })({}), configError('transform "argmax": options: unknown key "score"'));
  });
});

describe('top-k', () => {
  it('adds the k best { id, score } sorted desc, ties by index, keeping the other fields', () => {
    const input = frozen({ user: 'u1', scores: [0.1, 0.5, 0.3, 0.5] });
    assert.deepEqual(builtin('top-k', { field: 'scores', k: 3 })(input), {
      user: 'u1',
      scores: [0.1, 0.5, 0.3, 0.5],
      top: [{ id: 1, score: 0.5 }, { id: 3, score: 0.5 }, { id: 2, score: 0.3 }],
    });
  });

  it('maps ids, writes to output and returns fewer when the array is shorter than k', () => {
    const run = builtin('top-k', { field: 's', k: 5, ids: ['a', 'b'], output: 'best' });
    assert.deepEqual(run({ s: [1, 2] }), { s: [1, 2], best: [{ id: 'b', score: 2 }, { id: 'a', score: 1 }] });
    assert.throws(() => run({ s: [1, 2, 3] }), recordError('field "s" has 3 elements but options.ids has 2'));
  });

  it('rejects records whose field is not a numeric array', () => {
    assert.throws(() => builtin('top-k', { field: 's', k: 1 })({ s: { a: 1 } }), recordError('field "s" is not an array (got object)'));
  });

  it('reports bad options', () => {
    const error = (options: object, message: string) => assert.throws(() => builtin('top-k', options)({}), configError(message));
    error({ field: 's' }, 'transform "top-k": options.k: required');
    error({ field: 's', k: 0 }, 'transform "top-k": options.k: must be at least 1');
    error({ field: 's', k: 1.5 }, 'transform "top-k": options.k: must be an integer');
    error({ field: 's', k: '3' }, 'transform "top-k": options.k: expected number, got string');
    error({ k: 1, ids: [1] }, 'transform "top-k": options.field: required; options.ids[0]: expected string, got number');
  });
});

describe('threshold', () => {
  it('keeps records inside [min, max] (inclusive) as copies and drops the rest', () => {
    const run = builtin('threshold', { field: 'p', min: 0.5, max: 0.9 });
    const input = frozen({ p: 0.5, id: 1 });
    const kept = run(input);
    assert.deepEqual(kept, { p: 0.5, id: 1 });
    assert.notEqual(kept, input);
    assert.deepEqual(run({ p: 0.9 }), { p: 0.9 });
    assert.equal(run({ p: 0.49 }), null);
    assert.equal(run({ p: 0.91 }), null);
    assert.deepEqual(builtin('threshold', { field: 'p', min: 1 })({ p: 1e9 }), { p: 1e9 });
    assert.equal(builtin('threshold', { field: 'p', max: 1 })({ p: 2 }), null);
  });

  it('rejects records whose field is not a number', () => {
    const run = builtin('threshold', { field: 'p', min: 0 });
    assert.throws(() => run({}), recordError('field "p" is missing'));
    assert.throws(() => run({ p: '1' }), recordError('field "p" is not a finite number (got string)'));
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('threshold', { field: 'p' })({}), configError('transform "threshold": options: set min, max or both'));
    assert.throws(() => builtin('threshold', { field: 'p', min: 2, max: 1 })({}), configError('transform "threshold": options.max: must be at least options.min (2)'));
    assert.throws(() => builtin('threshold', { field: 'p', min: Infinity })({}), configError('transform "threshold": options.min: must be a finite number'));
  });
});

describe('explode', () => {
  it('gives one output per element with index and count', () => {
    const input = frozen({ requestId: 'r1', boxes: [{ x: 1 }, { x: 2 }], user: 'u' });
    assert.deepEqual(builtin('explode', { field: 'boxes', as: 'box' })(input), [
      { requestId: 'r1', user: 'u', box: { x: 1 }, index: 0, count: 2 },
      { requestId: 'r1', user: 'u', box: { x: 2 }, index: 1, count: 2 },
    ]);
  });

  it('keeps the field name by default and gives no outputs for an empty array', () => {
    const run = builtin('explode', { field: 'items' });
    assert.deepEqual(run({ items: ['a'] }), [{ items: 'a', index: 0, count: 1 }]);
    assert.deepEqual(run({ items: [], id: 1 }), []);
    assert.throws(() => run({ items: 'a' }), recordError('field "items" is not an array (got string)'));
    assert.throws(() => run({}), recordError('field "items" is missing'));
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('explode', { field: 'x', as: 'index' })({}), configError('transform "explode": options.as: "index" is reserved (index, count)'));
    assert.throws(() => builtin('explode', { field: '' })({}), configError('transform "explode": options.field: must not be empty'));
  });
});

describe('top-k scores', () => {
  it('top-k can also write the k scores alone, the input of a next model', async () => {
  const { topKTransform } = await import('../../src/transforms/builtins/top-k.js');
  const transform = topKTransform();
  const options = Object.freeze({ field: 'scores', k: 2, ids: ['a', 'b', 'c'], output: 'top', scoresOutput: 'topScores' });
  const context = { key: null, keyBytes: null, requestId: 'r', headers: {}, source: { topic: 't', partition: 0, offset: '0', timestamp: '0' }, options };
  assert.deepEqual(await transform({ scores: [0.2, 0.5, 0.3] }, context), {
    scores: [0.2, 0.5, 0.3],
    top: [
      { id: 'b', score: 0.5 },
      { id: 'c', score: 0.3 },
    ],
    topScores: [0.5, 0.3],
  });
});
});

test('explore: epsilon-greedy with the propensity of what it showed, the same draw for the same request', () => {
  const explore = exploreTransform();
  const items = [{ ad: 'a' }, { ad: 'b' }, { ad: 'c' }, { ad: 'd' }];
  const shown = new Map<string, number>();
  for (let index = 0; index < 4000; index++) {
    const ctx = { ...context({ epsilon: 0.4 }), requestId: `r${index}` };
    const out = explore({ items }, ctx) as { shown: { ad: string }; propensity: number };
    assert.deepEqual(explore({ items }, ctx), out, 'deterministic');
    assert.equal(out.propensity, out.shown.ad === 'a' ? 0.6 + 0.1 : 0.1);
    shown.set(out.shown.ad, (shown.get(out.shown.ad) ?? 0) + 1);
  }
  // Expected shares 70% / 10% / 10% / 10%.
  assert.ok(Math.abs((shown.get('a') ?? 0) / 4000 - 0.7) < 0.03, JSON.stringify([...shown]));
  assert.ok(Math.abs((shown.get('d') ?? 0) / 4000 - 0.1) < 0.02);
  assert.throws(() => explore({ items: [] }, { ...context({ epsilon: 0.4 }) }), /field "items" is empty/);
  assert.throws(() => explore({ items }, context({ epsilon: 2 })), /options\.epsilon: must be in \[0, 1\]/);
});
