import { spawnSync } from 'node:child_process';

/** Sets up the Python baseline's virtualenv (bench/python/setup.sh, quick when done before); false when that fails. */
export function pythonReady(say: (line: string) => void): boolean {
  say('setting up the Python baseline (bench/python/setup.sh)');
  const result = spawnSync('bash', ['bench/python/setup.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) return true;
  say(`the Python baseline is skipped: setup failed:\n${result.stderr.slice(-2000)}`);
  return false;
}
