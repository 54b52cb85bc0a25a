import assert from 'node:assert/strict';
import { test } from 'node:test';
import { armForBucket, armRanges, assignmentBucket, BUCKETS, isMirrored, weightsVersion } from '../../src/routing/assignment.js';
import { routerHandler } from '../../src/runtime/router-handler.js';
import type { StageRecord } from '../../src/runtime/record.js';
import { TopologyTestDriver } from '../../src/testing/index.js';
import { parseTopology } from '../../src/topology/load.js';
import type { RouterStageSpec } from '../../src/topology/spec.js';

const USERS = Array.from({ length: 100_000 }, (_, index) => `user-${index}`);
const arms = (champion: number, challenger: number) => [
  { name: 'champion', weight: champion, output: 'requests.champion' },
  { name: 'challenger', weight: challenger, output: 'requests.challenger' },
];
const assign = (salt: string, weights: [number, number]) => {
  const ranges = armRanges(arms(...weights));
  return USERS.map((user) => armForBucket(ranges, assignmentBucket(salt, user)).arm.name);
};

test('100,000 users at 50/50 split within one percentage point, each user in exactly one arm', () => {
  const assigned = assign('exp-1', [50, 50]);
  const champion = assigned.filter((arm) => arm === 'champion').length;
  assert.ok(Math.abs(champion / USERS.length - 0.5) < 0.01, `champion share ${champion / USERS.length}`);
  assert.equal(assigned.length, USERS.length);
  assert.deepEqual(new Set(assigned), new Set(['champion', 'challenger']));
});

test('moving 50/50 to 60/40 moves only the users between the old and the new boundary: about 10%', () => {
  const before = assign('exp-1', [50, 50]);
  const after = assign('exp-1', [60, 40]);
  const moved = before.filter((arm, index) => arm !== after[index]);
  assert.ok(Math.abs(moved.length / USERS.length - 0.1) < 0.01, `moved ${moved.length / USERS.length}`);
  assert.ok(moved.every((arm) => arm === 'challenger'), 'only challenger users move, all to the champion');
  const champion = after.filter((arm) => arm === 'champion').length;
  assert.ok(Math.abs(champion / USERS.length - 0.6) < 0.01);
});

test('the salt reshuffles: a new experiment is independent of the last one', () => {
  const first = assign('exp-1', [50, 50]);
  const second = assign('exp-2', [50, 50]);
  const same = first.filter((arm, index) => arm === second[index]).length / USERS.length;
  assert.ok(Math.abs(same - 0.5) < 0.01, `agreement ${same}`);
});

test('weight ranges cover every bucket once, in proportion', () => {
  const ranges = armRanges([
    { name: 'a', weight: 1, output: 'a' },
    { name: 'b', weight: 2, output: 'b' },
    { name: 'c', weight: 1, output: 'c' },
  ]);
  assert.deepEqual(
    ranges.map((range) => [range.from, range.to, range.probability]),
    [
      [0, 2500, 0.25],
      [2500, 7500, 0.5],
      [7500, BUCKETS, 0.25],
    ],
  );
  assert.equal(weightsVersion(arms(50, 50)), weightsVersion(arms(50, 50)));
  assert.notEqual(weightsVersion(arms(50, 50)), weightsVersion(arms(60, 40)));
});

test('two router instances assign every user identically, with the assignment in headers', async () => {
  const stage = {
    name: 'split',
    type: 'router',
    input: 'requests',
    experiment: 'exp-1',
    unit: 'key',
    arms: arms(50, 50),
    mirror: { name: 'shadow', percent: 10, output: 'requests.shadow' },
  } as RouterStageSpec;
  const records: StageRecord[] = USERS.slice(0, 20_000).map((user, index) => ({
    source: { topic: 'requests', partition: 0, offset: String(index), key: Buffer.from(user), value: null, headers: [], timestamp: '0' },
    keyBytes: Buffer.from(user),
    key: user,
    value: { id: index },
    requestId: `r${index}`,
    headers: {},
  }));
  const [first, second] = await Promise.all([routerHandler(stage).process(records), routerHandler(stage).process(records)]);
  assert.deepEqual(first, second);
  let mirrored = 0;
  first.forEach((result, index) => {
    assert.ok('outputs' in result);
    const [primary, copy] = result.outputs;
    const user = USERS[index]!;
    const bucket = assignmentBucket('exp-1', user);
    assert.equal(primary!.headers!['kascade.bucket'], String(bucket));
    assert.equal(primary!.headers!['kascade.arm'], bucket < 5000 ? 'champion' : 'challenger');
    assert.equal(primary!.topic, bucket < 5000 ? 'requests.champion' : 'requests.challenger');
    assert.equal(primary!.headers!['kascade.unit'], user);
    assert.equal(primary!.headers!['kascade.experiment'], 'exp-1');
    assert.equal(primary!.headers!['kascade.assignment-probability'], '0.5');
    assert.equal(copy !== undefined, isMirrored('exp-1', user, 10));
    if (copy !== undefined) {
      mirrored++;
      assert.equal(copy.topic, 'requests.shadow');
      assert.equal(copy.headers!['kascade.mirror-of'], primary!.headers!['kascade.arm']);
    }
  });
  assert.ok(Math.abs(mirrored / records.length - 0.1) < 0.01, `mirrored ${mirrored / records.length}`);
});

test('in a topology, routed records keep their value and key, and a record without a unit is dead-lettered', async () => {
  const { spec } = parseTopology(
    `
name: ab
topics:
  requests: { external: true, partitions: 2 }
stages:
  - name: split
    type: router
    input: requests
    experiment: exp-7
    unit: { field: user }
    arms:
      - { name: champion, weight: 90, output: requests.champion }
      - { name: challenger, weight: 10, output: requests.challenger }
`,
    'ab.yaml',
  );
  const driver = new TopologyTestDriver(spec);
  await driver.pipe('requests', [
    { key: 'k1', value: { user: 'alice', ad: 1 } },
    { key: 'k2', value: { ad: 2 } },
  ]);
  const routed = [...(await driver.read('requests.champion')), ...(await driver.read('requests.challenger'))];
  assert.equal(routed.length, 1);
  assert.deepEqual(routed[0]!.value, { user: 'alice', ad: 1 });
  assert.equal(routed[0]!.key, 'k1');
  assert.equal(routed[0]!.headers['kascade.unit'], 'alice');
  const [dead] = driver.readRaw('requests.dlq');
  assert.equal(dead?.headers['kascade.error.message'], 'router split: the record has no unit id (a "user" field)');
});

test('arm names must be unique and the mirror must not borrow one', () => {
  assert.throws(
    () =>
      parseTopology(
        `
name: ab
topics:
  requests: { external: true }
stages:
  - name: split
    type: router
    input: requests
    experiment: e
    arms:
      - { name: a, weight: 1, output: x }
      - { name: a, weight: 1, output: y }
    mirror: { name: a, percent: 5, output: z }
`,
        'ab.yaml',
      ),
    (error: unknown) =>
      error instanceof Error &&
      error.message ===
        [
          'ab.yaml: stages[0].arms[1].name: duplicate arm name "a" (also arms[0])',
          'ab.yaml: stages[0].mirror.name: the mirror is named like arm "a": its copies would be counted as that arm\'s',
        ].join('\n'),
  );
});
