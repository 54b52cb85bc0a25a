import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What the bench runs as a stage: the compiled CLI, as installed users run it (package.json's bin). */
export const KASCADE_CLI = 'dist/cli/main.js';

/**
 * The node flags of the CLI's launcher line (`#!/usr/bin/env -S node FLAGS`), which spawning node
 * directly bypasses. KASCADE_BENCH_NODE_FLAGS replaces them (empty: node's defaults), so a
 * variant can measure what they are worth.
 */
export function kascadeNodeFlags(): string[] {
  const override = process.env.KASCADE_BENCH_NODE_FLAGS?.trim();
  if (override !== undefined) return override === '' ? [] : override.split(/\s+/);
  const launcher = readFileSync(KASCADE_CLI, 'utf8').split('\n', 1)[0] ?? '';
  const flags = /^#!\/usr\/bin\/env -S node(.*)$/.exec(launcher)?.[1]?.trim() ?? '';
  return flags === '' ? [] : flags.split(/\s+/);
}

/**
 * Compiles src to dist, so the stages measured are the shipped JavaScript of the current source,
 * not a TypeScript loader's on-the-fly output (which adds helpers and source-map work per call).
 */
export function buildKascade(say: (line: string) => void): void {
  say('compiling src to dist (npm run build)');
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
}
