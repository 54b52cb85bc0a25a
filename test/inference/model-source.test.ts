import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { ModelSource } from '../../src/inference/model-source.js';

const base = mkdtempSync(join(tmpdir(), 'kascade-source-'));
const root = join(base, 'models');
mkdirSync(root);
writeFileSync(join(root, 'good.onnx'), 'model bytes');
writeFileSync(join(base, 'secret.onnx'), 'outside');
symlinkSync(join(base, 'secret.onnx'), join(root, 'sneaky.onnx'));
const source = new ModelSource(root);
after(() => rmSync(base, { recursive: true, force: true }));

test('a model is read from under the models root, versioned by a hash of its content unless declared', async () => {
  const file = await source.read({ id: 'm', path: 'good.onnx' });
  assert.equal(file.version, `sha256:${createHash('sha256').update('model bytes').digest('hex').slice(0, 12)}`);
  assert.equal(Buffer.from(file.bytes).toString(), 'model bytes');
  assert.equal((await source.read({ id: 'm', path: 'good.onnx', version: 'v7' })).version, 'v7');
});

test('paths that leave the models root are rejected, through .., absolute paths or symbolic links', async () => {
  for (const path of ['../secret.onnx', join(base, 'secret.onnx'), 'sub/../../secret.onnx']) {
    assert.throws(() => source.resolvePath({ id: 'm', path }), (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && error.message.includes('outside the models root'), path);
  }
  await assert.rejects(source.read({ id: 'm', path: 'sneaky.onnx' }), (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && error.message.includes('links outside the models root'));
});

test('a symbolic link to a folder outside the root is rejected too; links that stay inside, or a root reached through a link, are fine', async () => {
  const outside = join(base, 'elsewhere');
  mkdirSync(outside);
  writeFileSync(join(outside, 'model.onnx'), 'outside');
  symlinkSync(outside, join(root, 'linked-folder'));
  symlinkSync(join(root, 'good.onnx'), join(root, 'alias.onnx'));
  symlinkSync(root, join(base, 'models-link'));

  await assert.rejects(source.read({ id: 'm', path: 'linked-folder/model.onnx' }), (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && error.message === `model m: linked-folder/model.onnx links outside the models root ${root}`);
  assert.equal(Buffer.from((await source.read({ id: 'm', path: 'alias.onnx' })).bytes).toString(), 'model bytes');
  assert.equal(Buffer.from((await new ModelSource(join(base, 'models-link')).read({ id: 'm', path: 'good.onnx' })).bytes).toString(), 'model bytes');
});

test('a missing file is a load failure naming the model and the file', async () => {
  await assert.rejects(source.read({ id: 'gone', path: 'missing.onnx' }), (error: unknown) => isKascadeError(error, ErrorCode.ModelLoadFailed) && /^model gone: cannot read .*missing\.onnx: file not found$/.test(error.message));
});
