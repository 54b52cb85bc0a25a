import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { asMap, fromRoot, readText } from './deployment-files.js';

/**
 * The packages a source file loads at run time: static imports and re-exports (not `import type`
 * / `export type`, which the compiler erases) and dynamic imports of a literal name.
 */
export function runtimePackages(source: string): Set<string> {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;'"]*?from\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] ?? '');
  const packages = specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
  return new Set(packages);
}

const manifest = asMap(JSON.parse(readText('package.json')), 'package.json');
const dependencies = new Set(Object.keys(asMap(manifest['dependencies'], 'dependencies')));

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

test('the import scanner sees runtime imports and skips type-only ones', () => {
  const source = [
    "import { Kafka } from 'kafkajs';",
    "import type { Tracer } from '@opentelemetry/sdk-trace';",
    "export { InferenceSession } from 'onnxruntime-node';",
    "export type { Schema } from 'avsc/types';",
    'import {\n  parse,\n  type Document,\n} from "yaml/util";',
    "const zod = await import('zod');",
    "import { readFile } from 'node:fs/promises';",
    "import { join } from 'path';",
    "import { x } from './local.js';",
  ].join('\n');
  assert.deepEqual([...runtimePackages(source)].sort(), ['kafkajs', 'onnxruntime-node', 'yaml', 'zod']);
});

test('every package that src/ loads at run time is a production dependency, so the --omit=dev image works', () => {
  // src/testing (the kascade/testing export) is included: it ships in dist/ and is published.
  const files = sourceFiles(fromRoot('src'));
  assert.ok(files.length > 50);
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    for (const name of runtimePackages(readFileSync(file, 'utf8'))) {
      seen.add(name);
      if (!dependencies.has(name)) missing.push(`${name} (imported by ${file.slice(fromRoot('').length)})`);
    }
  }
  assert.deepEqual(missing, []);
  for (const known of ['kafkajs', 'onnxruntime-node', 'avsc', 'yaml', 'zod']) assert.ok(seen.has(known), `the scan finds ${known}`);
});

test('the check fails for a package that is only a devDependency', () => {
  const devOnly = Object.keys(asMap(manifest['devDependencies'], 'devDependencies')).filter((name) => !dependencies.has(name));
  assert.ok(devOnly.includes('typescript'));
  const imported = runtimePackages("import ts from 'typescript';");
  assert.deepEqual([...imported].filter((name) => !dependencies.has(name)), ['typescript']);
});
