import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('npm run demo runs all three patterns on the real stack and reports the challenger ahead (p < 0.05)', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { encoding: 'utf8', timeout: 300_000, env: { ...process.env } });
  assert.equal(result.status, 0, result.stderr.slice(-3000));
  const report = result.stdout;
  assert.match(report, /^verdict: challenger-better/m);
  const pValue = /fixed-horizon p = ([0-9.e-]+)/.exec(report)?.[1];
  assert.ok(pValue !== undefined && Number(pValue) < 0.05, `fixed-horizon p = ${String(pValue)}`);
  assert.match(report, /^stages: split: \d+ in, \d+ out, 0 dead-lettered; score-regional: .*; rank: \d+ in, \d+ out, 0 dead-lettered$/m);
  assert.match(result.stderr, /demo: requests sent 40000\/40000/, 'progress was shown');
});
