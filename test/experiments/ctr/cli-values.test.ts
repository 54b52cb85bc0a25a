import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../../src/experiments/ctr/duration.js';
import { formatTimePoint, parseTimePoint } from '../../../src/experiments/ctr/time-point.js';
import { heaviestArm, parseWeights } from '../../../src/experiments/ctr/weights.js';

const NOW = Date.UTC(2024, 4, 1, 12);

test('durations', () => {
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  for (const bad of ['', '24', 'h', '24x', '-1h', '1h 30m', 'h24']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(86_400_000), '24h');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(7 * 86_400_000), '7d');
  assert.equal(formatDuration(1500), '1s500ms');
});

test('time points: ISO (UTC without a zone), relative, now, offsets', () => {
  assert.deepEqual(parseTimePoint('2024-05-01T10:00:00Z', NOW), { kind: 'timestamp', ms: Date.UTC(2024, 4, 1, 10) });
  assert.deepEqual(parseTimePoint('2024-05-01T10:00', NOW), { kind: 'timestamp', ms: Date.UTC(2024, 4, 1, 10) });
  assert.deepEqual(parseTimePoint('2024-05-01 10:00:00+02:00', NOW), { kind: 'timestamp', ms: Date.UTC(2024, 4, 1, 8) });
  assert.deepEqual(parseTimePoint('2024-05-01', NOW), { kind: 'timestamp', ms: Date.UTC(2024, 4, 1) });
  assert.deepEqual(parseTimePoint('-2h', NOW), { kind: 'timestamp', ms: NOW - 7_200_000 });
  assert.deepEqual(parseTimePoint('now', NOW), { kind: 'timestamp', ms: NOW });
  assert.deepEqual(parseTimePoint('offset:1200', NOW), { kind: 'offset', offset: '1200' });
  for (const bad of ['yesterday', '2024-13-45', '12345', '-2x', 'offset:-1']) assert.equal(parseTimePoint(bad, NOW), undefined, bad);
  assert.equal(formatTimePoint({ kind: 'timestamp', ms: NOW }), '2024-05-01T12:00:00.000Z');
  assert.equal(formatTimePoint({ kind: 'offset', offset: '7' }), 'offset:7');
  assert.equal(formatTimePoint(undefined), null);
});

test('weights', () => {
  const parsed = parseWeights('champion=90, challenger=10');
  assert.ok('weights' in parsed);
  assert.deepEqual([...parsed.weights], [
    ['champion', 90],
    ['challenger', 10],
  ]);
  assert.equal(heaviestArm(parsed.weights), 'champion');
  const tie = parseWeights('a=50,b=50');
  assert.ok('weights' in tie);
  assert.equal(heaviestArm(tie.weights), 'a');
  for (const bad of ['champion', 'a=1', 'a=0,b=1', 'a=1,a=2', 'a=x,b=1', 'a=-1,b=1']) assert.ok('problem' in parseWeights(bad), bad);
});
