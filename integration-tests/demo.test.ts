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
  // Every request is served once: the two arms' impressions add up to the requests, nothing dead-lettered.
  const stages = /^stages: (.*)$/m.exec(report)?.[1] ?? '';
  const counts = new Map([...stages.matchAll(/([\w-]+): (\d+) in, (\d+) out, (\d+) dead-lettered/g)].map((match) => [match[1], { in: Number(match[2]), out: Number(match[3]), dead: Number(match[4]) }]));
  assert.deepEqual([...counts.keys()], ['split', 'candidates-champion', 'rank-champion', 'pick-champion', 'candidates-challenger', 'rank-challenger', 'pick-challenger']);
  for (const [stage, count] of counts) assert.equal(count.dead, 0, `${stage} dead-lettered nothing`);
  assert.equal(counts.get('split')?.in, 20_000);
  assert.equal((counts.get('pick-champion')?.out ?? 0) + (counts.get('pick-challenger')?.out ?? 0), 20_000);
  for (const arm of ['champion', 'challenger']) {
    assert.equal(counts.get(`candidates-${arm}`)?.out, 4 * (counts.get(`candidates-${arm}`)?.in ?? 0), `${arm}: a shortlist of 4 per request`);
    assert.equal(counts.get(`pick-${arm}`)?.in, counts.get(`candidates-${arm}`)?.out);
  }
  assert.match(result.stderr, /demo: requests sent 20000\/20000/, 'progress was shown');
});
