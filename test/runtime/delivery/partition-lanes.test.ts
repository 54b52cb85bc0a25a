import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionLanes } from '../../../src/runtime/delivery/partition-lanes.js';

/** A batch the test finishes by hand, recording when it starts. */
function gatedWork(log: string[], name: string): { work: (isCurrent: () => boolean) => Promise<boolean>; finish: (result: boolean) => void; current: () => boolean } {
  let finish: (result: boolean) => void = () => undefined;
  let current: () => boolean = () => false;
  const gate = new Promise<boolean>((resolve) => (finish = resolve));
  return {
    work: (isCurrent) => {
      current = isCurrent;
      log.push(`start ${name}`);
      return gate;
    },
    finish: (result) => finish(result),
    current: () => current(),
  };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a partition's batches run one after another in order, while another partition's run alongside", async () => {
  const lanes = new PartitionLanes();
  lanes.open('a');
  lanes.open('b');
  const log: string[] = [];
  const a1 = gatedWork(log, 'a1');
  const a2 = gatedWork(log, 'a2');
  const b1 = gatedWork(log, 'b1');
  const first = lanes.enqueue('a', a1.work);
  const second = lanes.enqueue('a', a2.work);
  lanes.enqueue('b', b1.work);
  await settled();
  assert.deepEqual(log, ['start a1', 'start b1']);
  // The second batch's handler waits for the first batch only.
  let previousDone = false;
  void second?.previous.then(() => (previousDone = true));
  await settled();
  assert.equal(previousDone, false);
  a1.finish(true);
  await first?.done;
  await settled();
  assert.equal(previousDone, true);
  assert.deepEqual(log, ['start a1', 'start b1', 'start a2']);
});

test('after a batch stops early, the batches queued behind it are dropped and new ones are refused until the next epoch', async () => {
  const lanes = new PartitionLanes();
  lanes.open('a');
  lanes.open('b');
  const log: string[] = [];
  const a1 = gatedWork(log, 'a1');
  const a2 = gatedWork(log, 'a2');
  lanes.enqueue('a', a1.work);
  const second = lanes.enqueue('a', a2.work);
  await settled();
  a1.finish(false);
  await second?.done;
  assert.deepEqual(log, ['start a1'], 'a2 must not run after a1 stopped: its records would skip a1 unwritten ones');
  assert.equal(lanes.enqueue('a', gatedWork(log, 'a3').work), undefined);
  lanes.open('a'); // assigned again: a new epoch
  const a4 = gatedWork(log, 'a4');
  const fourth = lanes.enqueue('a', a4.work);
  assert.notEqual(fourth, undefined);
  await settled();
  assert.deepEqual(log, ['start a1', 'start a4']);
  a4.finish(true);
  await fourth?.done;
});

test('a batch that throws breaks its lane like one that stopped early, and its error reaches the awaiter', async () => {
  const lanes = new PartitionLanes();
  lanes.open('a');
  lanes.open('b');
  const log: string[] = [];
  const failing = lanes.enqueue('a', () => Promise.reject(new Error('boom')));
  const behind = lanes.enqueue('a', gatedWork(log, 'a2').work);
  await assert.rejects(failing?.done ?? Promise.resolve(), /boom/);
  await behind?.done;
  assert.deepEqual(log, []);
});

test("a rebalance makes running work no longer current, and the partition's new batches wait for it to stop", async () => {
  const lanes = new PartitionLanes();
  lanes.open('a');
  lanes.open('b');
  const log: string[] = [];
  const old = gatedWork(log, 'old');
  const oldQueued = gatedWork(log, 'old-queued');
  const running = lanes.enqueue('a', old.work);
  lanes.enqueue('a', oldQueued.work);
  await settled();
  assert.equal(old.current(), true);
  lanes.open('a'); // assigned again: a new epoch
  assert.equal(old.current(), false);
  const fresh = gatedWork(log, 'new');
  const next = lanes.enqueue('a', fresh.work);
  await settled();
  assert.deepEqual(log, ['start old'], 'the new epoch waits for the old batch in flight');
  // The old batch notices and stops early; that must not break the new epoch's lane.
  old.finish(false);
  await running?.done;
  await settled();
  assert.deepEqual(log, ['start old', 'start new'], 'the queued batch of the old epoch is dropped');
  assert.equal(fresh.current(), true);
  fresh.finish(true);
  await next?.done;
  assert.notEqual(lanes.enqueue('a', gatedWork(log, 'later').work), undefined);
});

test('a closed lane (partition revoked or lost) refuses work, and settled() waits for what was running', async () => {
  const lanes = new PartitionLanes();
  lanes.open('a');
  const log: string[] = [];
  const running = gatedWork(log, 'a1');
  lanes.enqueue('a', running.work);
  await settled();
  lanes.close('a');
  assert.equal(running.current(), false);
  assert.equal(lanes.enqueue('a', gatedWork(log, 'a2').work), undefined);
  let done = false;
  const waiting = lanes.settled(['a']).then(() => (done = true));
  await settled();
  assert.equal(done, false);
  running.finish(false);
  await waiting;
  assert.deepEqual(lanes.openKeys(), []);
});
