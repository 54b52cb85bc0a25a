import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/** `kascade ctr --help`, as a user gets it. */
function ctrHelp(): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ctr', '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  // One paragraph per line, so that a phrase may be looked for across the wrapping.
  return result.stdout.replace(/\n(?!\n)\s*/g, ' ');
}

test('kascade ctr --help says how time ranges select records: by event time, not Kafka time', () => {
  const help = ctrHelp();
  assert.match(help, /^Usage: kascade ctr/);
  assert.match(help, /Time ranges are event time: an impression's or click's time is the value's timestamp field .*, else the record's Kafka timestamp/);
  assert.match(help, /Kafka timestamps may be ingestion times/);
  assert.match(help, /records whose event time is outside the range are counted \(outside the time range\), never dropped unseen/);
  assert.match(help, /Records whose Kafka time is more than 1h from their event time are reported/);
});

test('kascade ctr --help says how the sequential verdict behaves: running minimum over looks, per-comparison alpha', () => {
  const help = ctrHelp();
  assert.match(help, /looks at the data at every event time .* once each arm has 30 units/);
  assert.match(help, /the always-valid p is the running minimum of p over these looks/i);
  assert.match(help, /decided at the first look that reaches its alpha/);
  assert.match(help, /never takes a decision back/);
  assert.match(help, /each comparison is tested at alpha \/ challengers, and that per-comparison alpha is printed next to its p/);
  assert.match(help, /clamped to \[0, 1\] and marked unreliable below 30 units or without clicks/);
});

test('every ctr flag the README documents is in the help', () => {
  const readme = readFileSync('README.md', 'utf8');
  const documented = new Set([...readme.matchAll(/`kascade ctr ([^`]*)`/g)].flatMap((match) => [...(match[1] ?? '').matchAll(/--[a-z][a-z-]*/g)].map((flag) => flag[0])));
  assert.ok(documented.size >= 5, `found ${[...documented].join(' ')}`);
  const help = ctrHelp();
  for (const flag of documented) assert.match(help, new RegExp(`\\s${flag}\\b`), flag);
});
