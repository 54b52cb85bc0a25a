import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isControlBatch, withoutAbortedRecords, type FetchedBatch } from '../../../src/kafka/platformatic/committed-batches.js';

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

interface Batch extends FetchedBatch {
  readonly name: string;
}

/** A one-record data batch at `offset` written by producer `pid`, in a transaction unless `plain`. */
function data(name: string, offset: number, pid: number, plain = false): Batch {
  return { name, firstOffset: BigInt(offset), lastOffsetDelta: 0, attributes: plain ? 0 : TRANSACTIONAL, producerId: BigInt(pid), records: [{ key: Buffer.from(name) }] };
}

function marker(offset: number, pid: number, kind: 'abort' | 'commit'): Batch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(kind === 'abort' ? 0 : 1, 2);
  return { name: `${kind}-${pid}`, firstOffset: BigInt(offset), lastOffsetDelta: 0, attributes: TRANSACTIONAL | CONTROL, producerId: BigInt(pid), records: [{ key }] };
}

/** The batches a reader hands over: data batches that kept their records. */
const names = (batches: readonly Batch[]): string[] => batches.filter((batch) => !isControlBatch(batch) && batch.records.length > 0).map((batch) => batch.name);
const committedBatches = (batches: readonly Batch[], aborted: readonly { producerId: bigint; firstOffset: bigint }[]): Batch[] => {
  const filtered = withoutAbortedRecords(batches, aborted);
  // Every batch stays, so a reader's position still moves past the aborted ones.
  assert.deepEqual(
    filtered.map((batch) => batch.firstOffset),
    batches.map((batch) => batch.firstOffset),
  );
  return filtered;
};

// The log of the integration test read-committed.test.ts: producers 1 and 2 interleave, 2 aborts first.
const log = [data('before', 0, 9, true), data('p1-a', 1, 1), data('p2', 2, 2), data('p1-b', 3, 1), marker(4, 2, 'abort'), marker(5, 1, 'abort'), data('after', 6, 9, true)];
// The broker lists aborted transactions in the order of their markers, not of their first offsets.
const abortedByMarker = [
  { producerId: 2n, firstOffset: 2n },
  { producerId: 1n, firstOffset: 1n },
];

test('aborted transactions listed in marker order are all dropped', () => {
  assert.deepEqual(names(committedBatches(log, abortedByMarker)), ['before', 'after']);
});

test('a fetch that starts inside two aborted transactions drops both', () => {
  assert.deepEqual(names(committedBatches(log.slice(3), abortedByMarker)), ['after']);
});

test('a producer that aborts, commits, then aborts again keeps only its committed transaction', () => {
  const batches = [data('t1', 0, 1), marker(1, 1, 'abort'), data('t2', 2, 1), marker(3, 1, 'commit'), data('t3', 4, 1), marker(5, 1, 'abort')];
  const aborted = [
    { producerId: 1n, firstOffset: 0n },
    { producerId: 1n, firstOffset: 4n },
  ];
  assert.deepEqual(names(committedBatches(batches, aborted)), ['t2']);
});

test('an aborted transaction whose marker lies beyond the response is dropped', () => {
  const batches = [data('committed', 0, 2), marker(1, 2, 'commit'), data('aborted-open', 2, 1)];
  assert.deepEqual(names(committedBatches(batches, [{ producerId: 1n, firstOffset: 2n }])), ['committed']);
});

test('records of other producers and outside transactions pass; control batches never do', () => {
  const batches = [data('p1', 0, 1), data('p2', 1, 2), data('plain', 2, 1, true), marker(3, 1, 'abort'), marker(4, 2, 'commit')];
  assert.deepEqual(names(committedBatches(batches, [{ producerId: 1n, firstOffset: 0n }])), ['p2', 'plain']);
});

test('a batch spanning the first offset of an aborted transaction is judged by its producer', () => {
  const wide: Batch = { ...data('p2-wide', 0, 2), lastOffsetDelta: 5 };
  assert.deepEqual(names(committedBatches([wide, data('p1', 6, 1), marker(7, 1, 'abort')], [{ producerId: 1n, firstOffset: 3n }])), ['p2-wide']);
});
