import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { ModelCache } from '../../src/inference/model-cache.js';
import { ModelReloader } from '../../src/inference/model-reloader.js';
import { ModelSource, type ModelFile } from '../../src/inference/model-source.js';
import type { Logger } from '../../src/telemetry/logger.js';
import { parseTopology } from '../../src/topology/load.js';
import type { ModelRefSpec } from '../../src/topology/spec.js';
import { catchTopologyError, lines } from '../topology/topology-error-assert.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const root = mkdtempSync(join(tmpdir(), 'kascade-pin-'));
mkdirSync(join(root, 'ctr'));
writeFileSync(join(root, 'ctr', 'model.onnx'), 'version one');
writeFileSync(join(root, 'reloaded.onnx'), 'version one');
const source = new ModelSource(root);
after(() => rmSync(root, { recursive: true, force: true }));

test('a pinned model loads when its file has the pinned digest, in lower or upper case', async () => {
  for (const pin of [sha256('version one'), sha256('version one').toUpperCase()]) {
    const file = await source.read({ id: 'ctr', path: 'ctr/model.onnx', sha256: pin });
    assert.equal(Buffer.from(file.bytes).toString(), 'version one');
    assert.equal(file.version, `sha256:${sha256('version one').slice(0, 12)}`);
  }
});

test('a file with another digest is a load failure naming the model, its path under the root and both digests', async () => {
  const pin = sha256('what was reviewed');
  await assert.rejects(source.read({ id: 'ctr', path: './ctr/../ctr/model.onnx', sha256: pin }), (error: unknown) => {
    assert.ok(isKascadeError(error, ErrorCode.ModelLoadFailed));
    assert.equal(error.message, `model ctr: ctr/model.onnx does not match its sha256 pin: expected ${pin}, the file has ${sha256('version one')}`);
    return true;
  });
});

test('at hot reload a file that breaks the pin is a failed reload: counted, logged, the pinned version keeps serving', async () => {
  const model: ModelRefSpec = { id: 'ctr', path: 'reloaded.onnx', sha256: sha256('version one') };
  const load = (_model: ModelRefSpec, file: ModelFile): Promise<{ file: ModelFile }> => Promise.resolve({ file });
  const cache = new ModelCache<{ file: ModelFile }>({ capacity: 1, load: async () => load(model, await source.read(model)), release: () => Promise.resolve() });
  await cache.use('ctr', () => Promise.resolve());
  const errors: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (message, fields) => errors.push(`${message}: ${String(fields?.['error'])}`) };
  const reloader = new ModelReloader({ models: [model], source, cache, load, intervalMs: 1000, logger, stage: 'score' });

  writeFileSync(join(root, 'reloaded.onnx'), 'version two, not reviewed');
  await reloader.check();
  assert.equal(Buffer.from(cache.peek('ctr')?.file.bytes ?? []).toString(), 'version one');
  assert.equal(cache.stats.reloadFailures, 1);
  assert.deepEqual(errors, [
    `model reload failed; the loaded version keeps serving: model ctr: reloaded.onnx does not match its sha256 pin: expected ${sha256('version one')}, the file has ${sha256('version two, not reviewed')}`,
  ]);
});

test('the sha256 field is checked at load: 64 hex digits, reported at its YAML path, also on keyed models', () => {
  const good = sha256('x');
  const text = [
    'name: t',
    'topics: { in: { external: true }, in2: { external: true } }',
    'stages:',
    `  - { name: a, type: inference, input: in, model: { id: m, path: m.onnx, sha256: "${good.slice(1)}" }, inputs: { x: { field: x } }, outputs: { y: { output: y } }, output: out }`,
    `  - name: b`,
    '    type: inference',
    '    input: in2',
    '    models:',
    `      - { id: k1, path: k1.onnx, keys: [a], sha256: ${good.toUpperCase()} }`,
    `      - { id: k2, path: k2.onnx, keys: [b], sha256: "${good.slice(0, 63)}g" }`,
    '    inputs: { x: { field: x } }',
    '    outputs: { y: { output: y } }',
    '    output: out2',
    '',
  ].join('\n');
  const message = "must be the file's SHA-256: 64 hexadecimal digits (as sha256sum prints it)";
  assert.deepEqual(lines(catchTopologyError(() => parseTopology(text, 'topologies/x.yaml', { env: {}, fileExists: () => true }))), [
    `topologies/x.yaml: stages[0].model.sha256: ${message}`,
    `topologies/x.yaml: stages[1].models[1].sha256: ${message}`,
  ]);
  const { spec } = parseTopology(text.replace(`"${good.slice(1)}"`, good).replace(`"${good.slice(0, 63)}g"`, good), 'topologies/x.yaml', { env: {}, fileExists: () => true });
  const keyed = spec.stages[1];
  assert.ok(keyed?.type === 'inference');
  assert.equal(keyed.models?.[0]?.sha256, good.toUpperCase());
});
