import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetCommitter } from '../../../src/runtime/delivery/offset-committer.js';
import type { PartitionOffset } from '../../../src/runtime/delivery/ports.js';

function gatedCommits(): { requests: PartitionOffset[][]; release: () => void; commit: (offsets: readonly PartitionOffset[]) => Promise<void> } {
  const requests: PartitionOffset[][] = [];
  const waiting: (() => void)[] = [];
  return {
    requests,
    release: () => waiting.shift()?.(),
    commit: (offsets) => {
      requests.push([...offsets]);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("offsets noted while a commit is in flight go out together in the next request, each partition's latest only", async () => {
  const { requests, release, commit } = gatedCommits();
  const committer = new OffsetCommitter(commit, () => assert.fail('no commit fails here'));
  committer.note({ topic: 't', partition: 0, offset: '10' });
  await settled();
  committer.note({ topic: 't', partition: 0, offset: '20' });
  committer.note({ topic: 't', partition: 1, offset: '5' });
  committer.note({ topic: 't', partition: 0, offset: '30' });
  assert.equal(requests.length, 1);
  release();
  await settled();
  assert.deepEqual(requests, [
    [{ topic: 't', partition: 0, offset: '10' }],
    [
      { topic: 't', partition: 0, offset: '30' },
      { topic: 't', partition: 1, offset: '5' },
    ],
  ]);
  const flushed = committer.flush();
  release();
  await flushed;
});

test('flush waits until everything noted is sent; forget drops what was not sent yet', async () => {
  const { requests, release, commit } = gatedCommits();
  const committer = new OffsetCommitter(commit, () => undefined);
  committer.note({ topic: 't', partition: 0, offset: '1' });
  committer.note({ topic: 't', partition: 0, offset: '2' });
  await settled();
  committer.note({ topic: 't', partition: 3, offset: '7' });
  committer.forget(['t/3']);
  let flushed = false;
  const flushing = committer.flush().then(() => (flushed = true));
  await settled();
  assert.equal(flushed, false, 'a request is still in flight');
  release();
  await flushing;
  assert.deepEqual(requests, [[{ topic: 't', partition: 0, offset: '2' }]]);
});

test('a failed commit is reported with its partitions and later offsets are still committed', async () => {
  const failures: string[] = [];
  const sent: PartitionOffset[][] = [];
  let calls = 0;
  const committer = new OffsetCommitter(
    (offsets) => {
      sent.push([...offsets]);
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('coordinator moved')) : Promise.resolve();
    },
    (error, offsets) => failures.push(`${error instanceof Error ? error.message : ''}: ${offsets.map((offset) => `${offset.topic}/${String(offset.partition)}@${offset.offset}`).join(',')}`),
  );
  committer.note({ topic: 't', partition: 2, offset: '40' });
  await committer.flush();
  committer.note({ topic: 't', partition: 2, offset: '41' });
  await committer.flush();
  assert.deepEqual(failures, ['coordinator moved: t/2@40']);
  assert.deepEqual(sent.at(-1), [{ topic: 't', partition: 2, offset: '41' }]);
});
