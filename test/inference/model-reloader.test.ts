import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModelCache } from '../../src/inference/model-cache.js';
import { ModelReloader } from '../../src/inference/model-reloader.js';
import { ModelSource, type ModelFile } from '../../src/inference/model-source.js';
import type { Logger, LogFields } from '../../src/telemetry/logger.js';
import type { ModelRefSpec } from '../../src/topology/spec.js';

interface FakeModel {
  readonly file: ModelFile;
}

const MODEL: ModelRefSpec = { id: 'm', path: 'm.onnx' };

function recordingLogger(): { logger: Logger; lines: Array<{ level: string; message: string; fields?: LogFields }> } {
  const lines: Array<{ level: string; message: string; fields?: LogFields }> = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, ...(fields === undefined ? {} : { fields }) });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A reloader over a real file in a temporary models root; "loading" fails for bytes that start with "bad". */
async function setUp() {
  const root = mkdtempSync(join(tmpdir(), 'kascade-reloader-'));
  writeFileSync(join(root, 'm.onnx'), 'version one');
  const source = new ModelSource(root);
  const load = (_model: ModelRefSpec, file: ModelFile): Promise<FakeModel> =>
    Buffer.from(file.bytes).toString().startsWith('bad') ? Promise.reject(new Error('not a model')) : Promise.resolve({ file });
  const cache = new ModelCache<FakeModel>({ capacity: 1, load: async (id) => load(MODEL, await source.read({ ...MODEL, id })), release: () => Promise.resolve() });
  await cache.use('m', () => Promise.resolve());
  const { logger, lines } = recordingLogger();
  const reloader = new ModelReloader<FakeModel>({ models: [MODEL], source, cache, load, intervalMs: 1000, logger, stage: 's' });
  const served = (): string => Buffer.from(cache.peek('m')?.file.bytes ?? []).toString();
  return { root, cache, reloader, lines, served, cleanUp: () => rmSync(root, { recursive: true, force: true }) };
}

test('a deleted model file is reported once and the loaded version keeps serving; when a file comes back it is loaded', async () => {
  const { root, reloader, lines, served, cleanUp } = await setUp();
  try {
    rmSync(join(root, 'm.onnx'));
    await reloader.check();
    await reloader.check();
    assert.deepEqual(
      lines.map((line) => [line.level, line.message]),
      [['warn', 'model file missing; the loaded version keeps serving']],
    );
    assert.match(String(lines[0]?.fields?.['error']), /ENOENT/);
    assert.equal(served(), 'version one');
    writeFileSync(join(root, 'm.onnx'), 'version two');
    await reloader.check();
    assert.equal(served(), 'version two');
    assert.equal(lines.at(-1)?.message, 'model reloaded');
  } finally {
    cleanUp();
  }
});

test('a replacement that does not load is reported, counted, and the loaded version keeps serving', async () => {
  const { root, cache, reloader, lines, served, cleanUp } = await setUp();
  try {
    writeFileSync(join(root, 'm.onnx'), 'bad bytes');
    await reloader.check();
    assert.equal(served(), 'version one');
    assert.deepEqual(
      lines.map((line) => [line.level, line.message]),
      [['error', 'model reload failed; the loaded version keeps serving']],
    );
    assert.equal(cache.stats.reloadFailures, 1);
  } finally {
    cleanUp();
  }
});
