import { spawnSync } from 'node:child_process';

/** What the bench runs as a stage: the compiled CLI, as installed users run it (package.json's bin). */
export const KASCADE_CLI = 'dist/cli/main.js';

/**
 * Compiles src to dist, so the stages measured are the shipped JavaScript of the current source,
 * not a TypeScript loader's on-the-fly output (which adds helpers and source-map work per call).
 */
export function buildKascade(say: (line: string) => void): void {
  say('compiling src to dist (npm run build)');
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
}
