import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadLetterStats } from '../../../src/runtime/dead-letters/dead-letter-stats.js';
import type { DeadLetter } from '../../../src/runtime/dead-letters/redrive.js';
import { LISTED_PROBLEMS, RedriveTally } from '../../../src/runtime/dead-letters/redrive-tally.js';

const at = (offset: number, headers: Record<string, string> = {}): DeadLetter => ({
  partition: offset % 2,
  offset: String(offset),
  headers: Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)] as const),
});

test('the tally counts redriven records per target and code, skipped, refused and failed ones with their offsets', () => {
  const tally = new RedriveTally();
  const redrive = (topic: string, code: string) => ({ kind: 'redrive' as const, code, topic, partition: undefined, count: 1, headers: [] });
  tally.add(at(0), redrive('a', 'KASCADE_DECODE_FAILED'));
  tally.add(at(1), redrive('a', 'KASCADE_DECODE_FAILED'));
  tally.add(at(2), redrive('b', 'KASCADE_UNKNOWN_MODEL_KEY'));
  tally.add(at(3), { kind: 'skip' });
  tally.add(at(4), { kind: 'refuse', code: 'KASCADE_DECODE_FAILED', count: 3 });
  tally.add(at(5), { kind: 'fail', code: 'KASCADE_DECODE_FAILED', reason: 'target topic x does not exist' });
  assert.equal(tally.read, 6);
  assert.equal(tally.redrivenTotal, 3);
  assert.deepEqual([...tally.redriven].map(([topic, byCode]) => [topic, [...byCode]]), [
    ['a', [['KASCADE_DECODE_FAILED', 2]]],
    ['b', [['KASCADE_UNKNOWN_MODEL_KEY', 1]]],
  ]);
  assert.equal(tally.skipped, 1);
  assert.deepEqual(tally.refusals, [{ partition: 0, offset: '4', code: 'KASCADE_DECODE_FAILED', detail: 'redriven 3 times' }]);
  assert.deepEqual(tally.failures, [{ partition: 1, offset: '5', code: 'KASCADE_DECODE_FAILED', detail: 'target topic x does not exist' }]);
  assert.equal(tally.clean, false);
});

test('problems beyond the listed ones are counted, not listed', () => {
  const tally = new RedriveTally();
  for (let offset = 0; offset < LISTED_PROBLEMS + 7; offset++) tally.add(at(offset), { kind: 'refuse', code: 'X', count: 3 });
  assert.equal(tally.refused, LISTED_PROBLEMS + 7);
  assert.equal(tally.refusals.length, LISTED_PROBLEMS);
});

test('stats count per code, stage and redrive count, and span the failure times (the Kafka timestamp when the header is missing)', () => {
  const stats = new DeadLetterStats();
  stats.add(at(0, { 'kascade.error.code': 'KASCADE_DECODE_FAILED', 'kascade.error.stage': 'parse', 'kascade.error.time': '2026-11-25T10:00:00.000Z' }), 0);
  stats.add(
    at(1, { 'kascade.error.code': 'KASCADE_DECODE_FAILED', 'kascade.error.stage': 'parse', 'kascade.error.time': '2026-11-25T12:00:00.000Z', 'kascade.redrive.count': '2' }),
    0,
  );
  stats.add(at(2, { 'kascade.error.code': 'KASCADE_UNKNOWN_MODEL_KEY', 'kascade.error.stage': 'score' }), Date.parse('2026-11-25T09:00:00.000Z'));
  assert.equal(stats.total, 3);
  assert.deepEqual([...stats.byCode], [['KASCADE_DECODE_FAILED', 2], ['KASCADE_UNKNOWN_MODEL_KEY', 1]]);
  assert.deepEqual([...stats.byStage], [['parse', 2], ['score', 1]]);
  assert.deepEqual([...stats.byRedriveCount], [[0, 2], [2, 1]]);
  assert.equal(new Date(stats.oldestMs ?? 0).toISOString(), '2026-11-25T09:00:00.000Z');
  assert.equal(new Date(stats.newestMs ?? 0).toISOString(), '2026-11-25T12:00:00.000Z');
});
