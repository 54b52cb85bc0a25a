import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionProgress } from '../../../src/runtime/delivery/progress.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

const p0 = { topic: 'in', partition: 0 };
const p1 = { topic: 'in', partition: 1 };
const LIMIT = 120_000;

function tracker(): { clock: ManualClock; progress: PartitionProgress } {
  const clock = new ManualClock();
  return { clock, progress: new PartitionProgress({ clock }) };
}

test('seconds since progress count from the assignment, then from each write or commit; a fetch is not progress', () => {
  const { clock, progress } = tracker();
  progress.assigned([p0, p1]);
  clock.advance(4000);
  assert.equal(progress.secondsSinceProgress(p0), 4);
  progress.fetched(p0, '100');
  clock.advance(1500);
  assert.equal(progress.secondsSinceProgress(p0), 5.5, 'records fetched and not written are no progress');
  assert.equal(progress.secondsSinceProgress(p1), 5.5);
  progress.acknowledged(p1);
  assert.equal(progress.secondsSinceProgress(p1), 0);
  clock.advance(2000);
  progress.committed(p0, '100');
  assert.equal(progress.secondsSinceProgress(p0), 0);
  assert.equal(progress.lastProgressAt(), clock.now().getTime());
  assert.deepEqual(
    progress.partitions().map(({ topic, partition, secondsSinceProgress }) => ({ topic, partition, secondsSinceProgress })),
    [
      { topic: 'in', partition: 0, secondsSinceProgress: 0 },
      { topic: 'in', partition: 1, secondsSinceProgress: 2 },
    ],
  );
});

test('lag: reported directly, or the high watermark of a fetch minus the committed offset', () => {
  const { progress } = tracker();
  progress.assigned([p0]);
  assert.equal(progress.lagOf(p0), undefined);
  progress.fetched(p0, '150');
  assert.equal(progress.lagOf(p0), undefined, 'no committed offset known yet');
  progress.committed(p0, 100n);
  assert.equal(progress.lagOf(p0), 50);
  progress.lag(p0, 20);
  assert.equal(progress.lagOf(p0), 20);
  progress.committed(p0, '150');
  assert.equal(progress.lagOf(p0), 0);
  progress.fetched(p0, '180');
  assert.equal(progress.lagOf(p0), 30);
  assert.equal(progress.partition(p0)?.committedOffset, '150');
  progress.lag(p0, -3);
  assert.equal(progress.lagOf(p0), 0, 'never negative');
});

test('an idle partition (no lag, or lag unknown) is never stuck', () => {
  const { clock, progress } = tracker();
  progress.assigned([p0, p1]);
  progress.lag(p1, 0);
  clock.advance(10 * LIMIT);
  assert.deepEqual(progress.stuckPartitions(clock.now(), LIMIT), []);
});

test('records waiting and no progress for the limit: stuck, with lag and seconds', () => {
  const { clock, progress } = tracker();
  progress.assigned([p0, p1]);
  progress.fetched(p0, '10');
  progress.lag(p0, 7);
  progress.lag(p1, 3);
  clock.advance(LIMIT - 1);
  assert.deepEqual(progress.stuckPartitions(clock.now(), LIMIT), []);
  progress.acknowledged(p1);
  clock.advance(1);
  assert.deepEqual(progress.stuckPartitions(clock.now(), LIMIT), [{ topic: 'in', partition: 0, lag: 7, secondsWithoutProgress: 120 }]);
  clock.advance(LIMIT);
  assert.deepEqual(
    progress.stuckPartitions(clock.now().getTime(), LIMIT).map((entry) => entry.partition),
    [0, 1],
  );
});

test('a partition whose outage retries keep coming is not stuck; once they stop it is', () => {
  const { clock, progress } = tracker();
  progress.assigned([p0]);
  progress.lag(p0, 5);
  for (let attempt = 0; attempt < 30; attempt++) {
    clock.advance(10_000);
    progress.retrying(p0, 10_000);
    assert.deepEqual(progress.stuckPartitions(clock.now(), LIMIT), []);
  }
  const state = progress.partition(p0);
  assert.equal(state?.retrying, true);
  assert.equal(state.secondsSinceProgress, 300, 'the age keeps growing during an outage');
  // The backoff announced counts: the next attempt is due 10 s after the last retry.
  clock.advance(10_000 + LIMIT - 1);
  assert.deepEqual(progress.stuckPartitions(clock.now(), LIMIT), []);
  clock.advance(1);
  assert.equal(progress.stuckPartitions(clock.now(), LIMIT).length, 1);
  progress.acknowledged(p0);
  assert.equal(progress.partition(p0)?.retrying, false);
});

test('a whole-stage outage (the source paused) covers every partition', () => {
  const { clock, progress } = tracker();
  progress.assigned([p0, p1]);
  progress.lag(p0, 5);
  progress.lag(p1, 5);
  clock.advance(LIMIT);
  progress.retryingAll(5000);
  assert.deepEqual(progress.stuckPartitions(clock.now(), LIMIT), []);
  assert.ok(progress.partitions().every((state) => state.retrying));
  clock.advance(5000 + LIMIT);
  assert.equal(progress.stuckPartitions(clock.now(), LIMIT).length, 2);
});

test('released partitions are forgotten; late events about them are ignored; assigned again starts afresh', () => {
  const { clock, progress } = tracker();
  progress.assigned([p0]);
  progress.lag(p0, 9);
  clock.advance(LIMIT);
  progress.released([p0]);
  assert.equal(progress.partition(p0), undefined);
  progress.fetched(p0, '100');
  progress.lag(p0, 4);
  assert.deepEqual(progress.partitions(), []);
  assert.equal(progress.lastProgressAt(), undefined);
  progress.assigned([p0]);
  assert.equal(progress.lagOf(p0), undefined);
  assert.equal(progress.secondsSinceProgress(p0), 0);
});
