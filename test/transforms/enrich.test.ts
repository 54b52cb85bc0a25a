import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { registerBuiltinTransforms } from '../../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { builtin, context, frozen, TABLES_DIR } from './run-transform.js';

function configError(message: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid), `expected ConfigInvalid, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  };
}

describe('enrich', () => {
  it('merges the entry of an array table (ids compared as strings) into a copy of the record', () => {
    const run = builtin('enrich', { table: 'users.json', key: 'user.id' });
    const input = frozen({ user: { id: 'u1' }, country: 'XX', n: 1 });
    assert.deepEqual(run(input), { user: { id: 'u1' }, country: 'FR', n: 1, id: 'u1', segment: 'gold' });
    assert.deepEqual(run({ user: { id: '2' } }), { user: { id: '2' }, id: 2, segment: 'silver', country: 'DE', prefs: { lang: 'de' } });
  });

  it('puts the entry under into, from an object table keyed by id, as a fresh copy each time', () => {
    const run = builtin('enrich', { table: './products.json', key: 'productId', into: 'product' });
    const first = run({ productId: 'p1' }) as { product: { price: number } };
    assert.deepEqual(first, { productId: 'p1', product: { category: 'shoes', price: 49.5 } });
    first.product.price = 0;
    assert.deepEqual(run({ productId: 'p1' }), { productId: 'p1', product: { category: 'shoes', price: 49.5 } });
  });

  it('rejects unknown ids unless required is false', () => {
    assert.throws(() => builtin('enrich', { table: 'products.json', key: 'pid' })({ pid: 'p9' }), { message: 'field "pid": id "p9" is not in table "products.json"' });
    assert.deepEqual(builtin('enrich', { table: 'products.json', key: 'pid', required: false })({ pid: 'p9', a: 1 }), { pid: 'p9', a: 1 });
    assert.deepEqual(builtin('enrich', { table: 'products.json', key: 'pid', required: false, into: 'p' })({ pid: 'p9' }), { pid: 'p9', p: null });
  });

  it('rejects records without a usable key', () => {
    const run = builtin('enrich', { table: 'users.json', key: 'user.id' });
    assert.throws(() => run({ user: 'u1' }), { message: 'field "user.id" is missing' });
    assert.throws(() => run({}), { message: 'field "user.id" is missing' });
    assert.throws(() => run({ user: { id: true } }), { message: 'field "user.id" is not a string or number (got boolean)' });
  });

  it('uses tableKey for array tables', () => {
    assert.deepEqual(builtin('enrich', { table: 'users.json', key: 'c', tableKey: 'country', into: 'u' })({ c: 'DE' }), {
      c: 'DE',
      u: { id: 2, segment: 'silver', country: 'DE', prefs: { lang: 'de' } },
    });
  });

  it('refuses tables outside the base directory', () => {
    assert.throws(() => builtin('enrich', { table: '../outside.json', key: 'id' })({ id: 'secret' }), configError('transform "enrich": options.table: "../outside.json" is outside the base directory'));
    assert.throws(() => builtin('enrich', { table: 'sub/../../outside.json', key: 'id' })({ id: 'secret' }), configError('transform "enrich": options.table: "sub/../../outside.json" is outside the base directory'));
    const absolute = path.join(TABLES_DIR, 'users.json');
    assert.throws(() => builtin('enrich', { table: absolute, key: 'id' })({ id: 'u1' }), configError(`transform "enrich": options.table: "${absolute}" must be relative to the base directory`));
  });

  describe('with a symlink out of the base directory', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kascade-enrich-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    it('refuses it', () => {
      const base = path.join(root, 'base');
      mkdirSync(base);
      writeFileSync(path.join(root, 'secret.json'), '{"a":{"x":1}}');
      symlinkSync(path.join(root, 'secret.json'), path.join(base, 'link.json'));
      assert.throws(() => builtin('enrich', { table: 'link.json', key: 'id' }, base)({ id: 'a' }), configError('transform "enrich": options.table: "link.json" is outside the base directory'));
    });
  });

  it('reports unreadable or malformed tables', () => {
    const error = (table: string, message: string) =>
      assert.throws(() => builtin('enrich', { table, key: 'id' })({ id: 'a' }), configError(`transform "enrich": options.table: ${message}`));
    error('missing.json', 'cannot read "missing.json": ENOENT');
    error('broken.json', `cannot read "broken.json": ${jsonErrorMessage('{ not json')}`);
    error('duplicate-ids.json', '"duplicate-ids.json": duplicate id "a" at [1]');
    error('not-a-table.json', '"not-a-table.json": must be an array of objects or an object keyed by id (got string)');
  });

  it('reports bad options', () => {
    assert.throws(() => builtin('enrich', { table: 'users.json' })({}), configError('transform "enrich": options.key: required'));
    assert.throws(() => builtin('enrich', { table: '', key: 'id', required: 'yes' })({}), configError('transform "enrich": options.table: must not be empty; options.required: expected boolean, got string'));
  });

  it('reads the table once per options object', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kascade-enrich-'));
    try {
      writeFileSync(path.join(root, 't.json'), '{"a":{"v":1}}');
      const transform = registerBuiltinTransforms(new TransformRegistry(), { baseDir: root }).get('enrich');
      const ctx = context({ table: 't.json', key: 'id', into: 'row' });
      assert.deepEqual(transform({ id: 'a' }, ctx), { id: 'a', row: { v: 1 } });
      writeFileSync(path.join(root, 't.json'), '{"a":{"v":2}}');
      assert.deepEqual(transform({ id: 'a' }, ctx), { id: 'a', row: { v: 1 } });
      assert.deepEqual(transform({ id: 'a' }, context({ table: 't.json', key: 'id', into: 'row' })), { id: 'a', row: { v: 2 } });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function jsonErrorMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}
