import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../../src/errors.js';
import { partitionForKey } from '../../../src/routing/partitioner.js';
import { isOwnershipLost } from '../../../src/runtime/delivery/ownership-lost.js';
import type { SourceBatch, SourceListener, TopicPartition } from '../../../src/runtime/delivery/ports.js';
import { addTestMember, InMemoryCluster, inMemoryTransport, type InMemoryStageTransport } from '../../../src/runtime/delivery/in-memory/index.js';
import type { OutgoingRecord } from '../../../src/runtime/record.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

type Event =
  | { readonly type: 'batch'; readonly batch: SourceBatch }
  | { readonly type: 'assigned' | 'revoking' | 'lost'; readonly partitions: readonly TopicPartition[] }
  | { readonly type: 'revoked'; readonly partitions: readonly TopicPartition[] }
  | { readonly type: 'failed'; readonly error: Error };

interface Recorder {
  readonly listener: SourceListener;
  readonly events: Event[];
  /** Every batch, in the order handed out. */
  batches(): SourceBatch[];
  /** Offsets delivered per partition key, in order. */
  offsets(topic: string, partition: number): number[];
  /** Resolves every batch still held (when the recorder holds them). */
  releaseAll(): void;
  /** Held batches, oldest first. */
  held(): SourceBatch[];
}

/**
 * A listener that records what it is told. With `hold`, batch promises stay pending until released;
 * `onRevoking` runs inside `revoking` (e.g. to commit, or to wait).
 */
function recorder(options: { readonly hold?: boolean; readonly onRevoking?: (partitions: readonly TopicPartition[]) => Promise<void> } = {}): Recorder {
  const events: Event[] = [];
  const pending: { batch: SourceBatch; resolve: () => void }[] = [];
  const listener: SourceListener = {
    batch: (batch) => {
      events.push({ type: 'batch', batch });
      if (options.hold !== true) return Promise.resolve();
      return new Promise<void>((resolve) => pending.push({ batch, resolve }));
    },
    assigned: (partitions) => events.push({ type: 'assigned', partitions }),
    revoking: async (partitions) => {
      events.push({ type: 'revoking', partitions });
      await options.onRevoking?.(partitions);
      events.push({ type: 'revoked', partitions });
    },
    lost: (partitions) => events.push({ type: 'lost', partitions }),
    failed: (error) => events.push({ type: 'failed', error }),
  };
  const batches = (): SourceBatch[] => events.flatMap((event) => (event.type === 'batch' ? [event.batch] : []));
  return {
    listener,
    events,
    batches,
    offsets: (topic, partition) =>
      batches()
        .filter((batch) => batch.topic === topic && batch.partition === partition)
        .flatMap((batch) => batch.records.map((record) => Number(record.offset))),
    releaseAll: () => {
      for (const { resolve } of pending.splice(0)) resolve();
    },
    held: () => pending.map(({ batch }) => batch),
  };
}

function values(records: readonly { readonly value: Buffer | null }[]): string[] {
  return records.map((record) => record.value?.toString('utf8') ?? '<null>');
}

function out(topic: string, value: string, key: string | null = null): OutgoingRecord {
  return { topic, key: key === null ? null : Buffer.from(key), value: Buffer.from(value), headers: [] };
}

function produceMany(cluster: InMemoryCluster, topic: string, partition: number, count: number, prefix = 'v'): void {
  cluster.produce(
    topic,
    Array.from({ length: count }, (_, index) => ({ value: `${prefix}${index}`, partition })),
  );
}

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });

async function rejectsOwnershipLost(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isOwnershipLost(error));
}

describe('in-memory log', () => {
  test('offsets start at 0 per partition, as decimal strings, with timestamps from the injected clock', () => {
    const clock = new ManualClock(1_000);
    const cluster = new InMemoryCluster({ clock, topics: { in: 2 } });
    const [a, b] = cluster.produce('in', [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }]);
    clock.advance(5);
    const [c] = cluster.produce('in', [{ value: 'c', partition: 0 }, { value: 'd', partition: 0, timestamp: '-1' }]);
    assert.deepEqual([a?.offset, b?.offset, c?.offset], ['0', '1', '0']);
    assert.deepEqual([a?.timestamp, c?.timestamp], ['1000', '1005']);
    assert.deepEqual(
      cluster.read('in').map((record) => [record.partition, record.offset, record.value?.toString(), record.timestamp]),
      [
        [0, '0', 'c', '1005'],
        [0, '1', 'd', '-1'],
        [1, '0', 'a', '1000'],
        [1, '1', 'b', '1000'],
      ],
    );
  });

  test('keyed records go where murmur2 puts them by default, or where an injected partitioner says; keyless ones to partition 0', () => {
    const cluster = new InMemoryCluster({ topics: { in: 7 } });
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const records = cluster.produce('in', keys.map((key) => ({ key, value: key })));
    assert.deepEqual(
      records.map((record) => record.partition),
      keys.map((key) => partitionForKey(key, 7)),
    );
    assert.equal(cluster.produce('in', [{ value: 'no key' }])[0]?.partition, 0);

    const custom = new InMemoryCluster({ topics: { in: 3 }, partitioner: (_topic, key, partitions) => key.length % partitions, keylessPartitioner: () => 2 });
    assert.deepEqual(
      custom.produce('in', [{ key: 'ab', value: 'x' }, { key: 'abcd', value: 'y' }, { value: 'z' }]).map((record) => record.partition),
      [2, 1, 2],
    );
  });

  test('topics are auto-created with the default partition count; another count for an existing topic is refused', () => {
    const cluster = new InMemoryCluster({ defaultPartitions: 3 });
    cluster.produce('auto', [{ value: 'x' }]);
    assert.equal(cluster.log.partitionCount('auto'), 3);
    cluster.createTopic('auto', 3);
    assert.throws(() => cluster.createTopic('auto', 4), (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid));
  });

  test('transactional records take offsets at once, are invisible to read_committed until commit, and leave a marker gap', () => {
    const cluster = new InMemoryCluster({ topics: { out: 1 } });
    const log = cluster.log;
    const transaction = log.beginTransaction();
    log.append(out('out', 't0'), { transaction });
    log.append(out('out', 't1'), { transaction });
    assert.deepEqual(values(cluster.read('out')), []);
    assert.deepEqual(values(cluster.read('out', { isolation: 'read_uncommitted' })), ['t0', 't1']);
    // A plain record written meanwhile is past the last stable offset: read_committed cannot see it yet either.
    cluster.produce('out', [{ value: 'plain' }]);
    assert.equal(log.lastStableOffset(tp('out', 0)), 0n);
    assert.deepEqual(values(cluster.read('out')), []);
    log.endTransaction(transaction, 'commit');
    assert.deepEqual(values(cluster.read('out')), ['t0', 't1', 'plain']);
    const next = cluster.produce('out', [{ value: 'after' }])[0];
    // t0=0, t1=1, plain=2, commit marker=3.
    assert.equal(next?.offset, '4');
    assert.deepEqual(cluster.read('out').map((record) => record.offset), ['0', '1', '2', '4']);
  });

  test('an aborted transaction is never visible to read_committed; read_uncommitted still sees its records', () => {
    const cluster = new InMemoryCluster({ topics: { out: 1 } });
    const transaction = cluster.log.beginTransaction();
    cluster.log.append(out('out', 'gone'), { transaction });
    cluster.log.endTransaction(transaction, 'abort');
    cluster.produce('out', [{ value: 'kept' }]);
    assert.deepEqual(values(cluster.read('out')), ['kept']);
    assert.deepEqual(cluster.read('out').map((record) => record.offset), ['2']);
    assert.deepEqual(values(cluster.read('out', { isolation: 'read_uncommitted' })), ['gone', 'kept']);
  });
});

describe('in-memory record source', () => {
  test('delivers every partition in offset order, in batches of at most maxBatchSize, and idle() waits for all of it', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    produceMany(cluster, 'in', 0, 250);
    produceMany(cluster, 'in', 1, 30);
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], maxBatchSize: 100 });
    const seen = recorder();
    await transport.source.start(seen.listener);
    assert.deepEqual(seen.events[0], { type: 'assigned', partitions: [tp('in', 0), tp('in', 1)] });
    await cluster.idle();
    assert.deepEqual(seen.offsets('in', 0), Array.from({ length: 250 }, (_, index) => index));
    assert.deepEqual(seen.offsets('in', 1), Array.from({ length: 30 }, (_, index) => index));
    assert.ok(seen.batches().every((batch) => batch.records.length <= 100 && batch.records.length > 0), 'expected true');
    assert.deepEqual(
      seen.batches().filter((batch) => batch.partition === 0).map((batch) => batch.records.length),
      [100, 100, 50],
    );
    assert.equal(seen.batches().at(-1)?.highWatermark, '250');
    // Records written later are pushed too.
    produceMany(cluster, 'in', 1, 2, 'late');
    await cluster.idle();
    assert.deepEqual(seen.offsets('in', 1).slice(-2), [30, 31]);
    await transport.source.stop();
  });

  test('backpressure: no second batch of a partition before the first resolved, while other partitions go on', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    produceMany(cluster, 'in', 0, 5);
    produceMany(cluster, 'in', 1, 5);
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], maxBatchSize: 2 });
    const events: string[] = [];
    const pending = new Map<number, () => void>();
    await transport.source.start({
      ...recorder().listener,
      batch: (batch) => {
        events.push(`p${batch.partition}:${batch.records.map((record) => record.offset).join(',')}`);
        if (batch.partition === 1) return Promise.resolve();
        return new Promise<void>((resolve) => pending.set(batch.partition, resolve));
      },
    });
    await cluster.transportIdle();
    // Partition 1 ran through; partition 0 is stuck on its first batch.
    assert.deepEqual(events, ['p0:0,1', 'p1:0,1', 'p1:2,3', 'p1:4']);
    pending.get(0)?.();
    await cluster.transportIdle();
    assert.deepEqual(events.slice(4), ['p0:2,3']);
    pending.get(0)?.();
    await cluster.transportIdle();
    pending.get(0)?.();
    await cluster.transportIdle();
    assert.deepEqual(events.slice(4), ['p0:2,3', 'p0:4']);
    await transport.source.stop();
  });

  test('delivers read_committed data only: a transaction shows up when it commits, an aborted one never', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    const writer = inMemoryTransport(cluster, { groupId: 'writer', inputs: [], delivery: 'exactly-once' });
    const reader = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder();
    await reader.source.start(seen.listener);

    const first = await writer.transactions!.begin();
    await first.send([out('in', 'a0'), out('in', 'a1')]);
    await cluster.idle();
    assert.deepEqual(seen.batches(), []);
    await first.abort();

    const second = await writer.transactions!.begin();
    await second.send([out('in', 'b0')]);
    await cluster.idle();
    assert.deepEqual(seen.batches(), []);
    await second.commit([], { groupId: 'writer', memberId: 'none', generationId: 0 });
    await cluster.idle();
    assert.deepEqual(seen.batches().flatMap((batch) => values(batch.records)), ['b0']);
    // a0=0, a1=1, abort marker=2, b0=3.
    assert.deepEqual(seen.offsets('in', 0), [3]);
    await reader.source.stop();
  });

  test('pause() stops every partition and resume() goes on; pausePartition stops one', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder();
    await transport.source.start(seen.listener);
    transport.source.pause();
    produceMany(cluster, 'in', 0, 1);
    produceMany(cluster, 'in', 1, 1);
    await cluster.idle();
    assert.deepEqual(seen.batches(), []);
    transport.faults.pausePartition('in', 1);
    transport.source.resume();
    await cluster.idle();
    assert.deepEqual(seen.batches().map((batch) => batch.partition), [0]);
    transport.faults.resumePartition('in', 1);
    await cluster.idle();
    assert.deepEqual(seen.batches().map((batch) => batch.partition), [0, 1]);
    await transport.source.stop();
  });

  test('a member that joins later starts at the committed offsets; latest reset skips what came before', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    produceMany(cluster, 'in', 0, 10);
    const first = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    await first.source.start(recorder().listener);
    await first.offsets.commit([{ topic: 'in', partition: 0, offset: '6' }]);
    await first.source.stop();

    const second = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder();
    await second.source.start(seen.listener);
    await cluster.idle();
    assert.deepEqual(seen.offsets('in', 0), [6, 7, 8, 9]);
    await second.source.stop();

    const latest = inMemoryTransport(cluster, { groupId: 'other', inputs: ['in'], autoOffsetReset: 'latest' });
    const fresh = recorder();
    await latest.source.start(fresh.listener);
    await cluster.idle();
    assert.deepEqual(fresh.batches(), []);
    produceMany(cluster, 'in', 0, 1, 'new');
    await cluster.idle();
    assert.deepEqual(fresh.offsets('in', 0), [10]);
    await latest.source.stop();
  });

  test('membership() tells whether the source is in its group, since when, and as which member', async () => {
    const clock = new ManualClock(5_000);
    const cluster = new InMemoryCluster({ clock, topics: { in: 1 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], groupInstanceId: 'pod-0' });
    assert.equal(transport.source.membership().inGroup, false);
    clock.advance(10);
    await transport.source.start(recorder().listener);
    const joined = transport.source.membership();
    assert.equal(joined.inGroup, true);
    assert.equal(joined.since, 5_010);
    const member = joined.member!;
    assert.equal(member.groupId, 'g');
    assert.equal(member.groupInstanceId, 'pod-0');
    assert.equal(member.generationId, cluster.group('g').generationId);
    clock.advance(10);
    await transport.source.stop();
    assert.deepEqual(transport.source.membership(), { inGroup: false, since: 5_020, member: undefined });
    // stop() is idempotent.
    await transport.source.stop();
  });

  test('failSource reaches the listener as failed()', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder();
    await transport.source.start(seen.listener);
    const error = new Error('client gave up');
    transport.faults.failSource(error);
    assert.deepEqual(seen.events.at(-1), { type: 'failed', error });
    await transport.source.stop();
  });
});

describe('in-memory consumer group', () => {
  test('cooperative rebalance: the old owner revokes (awaited, and may still commit) before the new member is assigned', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 4 } });
    for (let partition = 0; partition < 4; partition++) produceMany(cluster, 'in', partition, 3);
    const order: string[] = [];
    let releaseRevoke: () => void = () => undefined;
    const transport: InMemoryStageTransport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder({
      onRevoking: async (partitions) => {
        if (order.length > 0) return;
        order.push(`A revoking ${partitions.map((p) => p.partition).join(',')}`);
        await new Promise<void>((resolve) => {
          releaseRevoke = resolve;
        });
        // Still allowed: the generation has not moved on yet.
        await transport.offsets.commit(partitions.map((p) => ({ ...p, offset: '3' })));
        order.push('A committed');
      },
    });
    await transport.source.start(seen.listener);
    await cluster.idle();
    const generation = cluster.group('g').generationId;

    const b = addTestMember(cluster, 'g', ['in']);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['A revoking 2,3']);
    assert.equal(b.events.length, 0);
    assert.equal(cluster.group('g').generationId, generation);
    releaseRevoke();
    await b.joined;
    order.push(...b.events.map((event) => `B ${event.type} ${event.partitions.map((p) => p.partition).join(',')}`));
    assert.deepEqual(order, ['A revoking 2,3', 'A committed', 'B assigned 2,3']);
    assert.equal(cluster.group('g').generationId, generation + 1);
    assert.deepEqual(transport.source.assignment(), [tp('in', 0), tp('in', 1)]);
    assert.equal(transport.source.membership().member?.generationId, generation + 1);
    assert.deepEqual(
      cluster.group('g').commitHistory().map((entry) => [entry.partition, entry.offset, entry.owned, entry.generationId]),
      [
        [2, '3', true, generation],
        [3, '3', true, generation],
      ],
    );

    // B leaves: it revokes, then A gets the partitions back, from the committed offsets.
    await b.leave();
    await cluster.idle();
    assert.deepEqual(b.events.at(-1), { type: 'revoking', partitions: [tp('in', 2), tp('in', 3)] });
    assert.deepEqual(seen.events.filter((event) => event.type === 'assigned').at(-1), { type: 'assigned', partitions: [tp('in', 2), tp('in', 3)] });
    assert.deepEqual(seen.offsets('in', 2), [0, 1, 2]);
    await transport.source.stop();
  });

  test('stop() revokes through the listener, then the remaining member gets the partitions', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const b = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seenA = recorder();
    const seenB = recorder();
    await a.source.start(seenA.listener);
    await b.source.start(seenB.listener);
    assert.deepEqual(a.source.assignment(), [tp('in', 0)]);
    assert.deepEqual(b.source.assignment(), [tp('in', 1)]);
    await a.source.stop();
    await cluster.idle();
    assert.deepEqual(
      seenA.events.map((event) => event.type),
      ['assigned', 'revoking', 'revoked', 'revoking', 'revoked'],
    );
    assert.deepEqual(b.source.assignment(), [tp('in', 0), tp('in', 1)]);
    await b.source.stop();
  });

  test('an expired member loses its partitions without revoking, its commits are refused, and they move on', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    produceMany(cluster, 'in', 0, 2);
    produceMany(cluster, 'in', 1, 2);
    const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seenA = recorder({ hold: true });
    await a.source.start(seenA.listener);
    const b = addTestMember(cluster, 'g', ['in']);
    await b.joined;
    await cluster.transportIdle();
    assert.deepEqual(a.source.assignment(), [tp('in', 0)]);
    const held = seenA.held();
    assert.equal(held.length, 1);

    a.faults.expire();
    assert.deepEqual(seenA.events.at(-1), { type: 'lost', partitions: [tp('in', 0)] });
    assert.equal(a.source.membership().inGroup, false);
    await rejectsOwnershipLost(a.offsets.commit([{ topic: 'in', partition: 0, offset: '2' }]));
    await cluster.transportIdle();
    assert.deepEqual(b.assignment(), [tp('in', 0), tp('in', 1)]);
    // Only the orderly revoke of partition 1 when B joined: partition 0 was lost, never revoked.
    assert.deepEqual(
      seenA.events.filter((event) => event.type === 'revoking'),
      [{ type: 'revoking', partitions: [tp('in', 1)] }],
    );
    assert.equal(cluster.group('g').committedOffset(tp('in', 0)), undefined);
    seenA.releaseAll();
    await cluster.transportIdle();
    // Nothing more for the expired member.
    assert.equal(seenA.batches().length, 1);
  });

  test('a member that rejoins on expiry gets partitions again, and a partition whose batch is unfinished waits for it', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    produceMany(cluster, 'in', 0, 4);
    const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], rejoinOnExpiry: true, maxBatchSize: 2 });
    const seen = recorder({ hold: true });
    await a.source.start(seen.listener);
    await cluster.transportIdle();
    const firstMember = a.source.currentMemberId;
    a.faults.expire();
    await cluster.transportIdle();
    assert.notEqual(a.source.currentMemberId, firstMember);
    assert.equal(a.source.membership().inGroup, true);
    assert.deepEqual(
      seen.events.map((event) => event.type),
      ['assigned', 'batch', 'lost', 'assigned'],
    );
    // The first batch (offsets 0, 1) is still unfinished: the redelivery from offset 0 waits for it.
    assert.equal(seen.held().length, 1);
    seen.releaseAll();
    await cluster.transportIdle();
    assert.deepEqual(seen.offsets('in', 0), [0, 1, 0, 1]);
    seen.releaseAll();
    await cluster.transportIdle();
    seen.releaseAll();
    await cluster.transportIdle();
    assert.deepEqual(seen.offsets('in', 0), [0, 1, 0, 1, 2, 3]);
    await a.source.stop();
  });

  test('restart(): the partitions are lost, then assigned anew to a new member, from the committed offsets', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    produceMany(cluster, 'in', 0, 5);
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder();
    await transport.source.start(seen.listener);
    await cluster.idle();
    await transport.offsets.commit([{ topic: 'in', partition: 0, offset: '3' }]);
    const before = transport.source.membership().member;
    await transport.source.restart();
    await cluster.idle();
    const after = transport.source.membership().member;
    assert.notEqual(after?.memberId, before?.memberId);
    assert.ok(after !== undefined && before !== undefined && after.generationId > before.generationId, 'expected true');
    assert.deepEqual(
      seen.events.filter((event) => event.type !== 'batch'),
      [
        { type: 'assigned', partitions: [tp('in', 0)] },
        { type: 'lost', partitions: [tp('in', 0)] },
        { type: 'assigned', partitions: [tp('in', 0)] },
      ],
    );
    assert.deepEqual(seen.offsets('in', 0), [0, 1, 2, 3, 4, 3, 4]);
    // The new member commits; the old identity may not.
    await transport.offsets.commit([{ topic: 'in', partition: 0, offset: '5' }]);
    assert.throws(() => cluster.group('g').commit([{ topic: 'in', partition: 0, offset: '1' }], before), (error: unknown) => isOwnershipLost(error));
    assert.equal(cluster.group('g').committedOffset(tp('in', 0)), 5n);
    await transport.source.stop();
  });

  test('a member that expires while revoking is not waited for: the rebalance goes on without it', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const progress = { revoking: false };
    const seen = recorder({
      onRevoking: async () => {
        progress.revoking = true;
        // A listener that never finishes revoking (a stuck handler).
        await new Promise<void>(() => undefined);
      },
    });
    await a.source.start(seen.listener);
    const b = addTestMember(cluster, 'g', ['in']);
    while (!progress.revoking) await new Promise((resolve) => setImmediate(resolve));
    a.faults.expire();
    await b.joined;
    await cluster.transportIdle();
    assert.deepEqual(b.assignment(), [tp('in', 0), tp('in', 1)]);
    assert.deepEqual(seen.events.at(-1), { type: 'lost', partitions: [tp('in', 0), tp('in', 1)] });
  });

  test('runs are reproducible: the same inputs give the same events in the same order', async () => {
    async function run(): Promise<string[]> {
      const cluster = new InMemoryCluster({ topics: { in: 3 } });
      for (let partition = 0; partition < 3; partition++) produceMany(cluster, 'in', partition, 7);
      const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], maxBatchSize: 3 });
      const seen = recorder();
      await a.source.start(seen.listener);
      const b = addTestMember(cluster, 'g', ['in']);
      await b.joined;
      await cluster.idle();
      await b.leave();
      await cluster.idle();
      await a.source.stop();
      return seen.events.map((event) =>
        event.type === 'batch'
          ? `batch ${event.batch.partition}:${event.batch.records.map((record) => record.offset).join(',')}`
          : event.type === 'failed'
            ? 'failed'
            : `${event.type} ${event.partitions.map((partition) => partition.partition).join(',')}`,
      );
    }
    const first = await run();
    assert.deepEqual(await run(), first);
    assert.ok(first.length > 5, 'the run did something');
  });

  test('restart() before the first join completed leaves no ghost member behind', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    produceMany(cluster, 'in', 0, 1);
    produceMany(cluster, 'in', 1, 1);
    const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const seen = recorder();
    const started = a.source.start(seen.listener);
    await a.source.restart();
    await started;
    await cluster.idle();
    assert.deepEqual(cluster.group('g').members().map((member) => member.memberId), [a.source.currentMemberId]);
    assert.deepEqual(a.source.assignment(), [tp('in', 0), tp('in', 1)]);
    assert.deepEqual(seen.offsets('in', 0), [0]);
    assert.deepEqual(seen.offsets('in', 1), [0]);
    await a.source.stop();
  });

  test('range assignment by default, round-robin on request, only over the members that subscribe to a topic', async () => {
    const range = new InMemoryCluster({ topics: { x: 3, y: 3 } });
    const r1 = addTestMember(range, 'g', ['x', 'y']);
    const r2 = addTestMember(range, 'g', ['x', 'y']);
    await Promise.all([r1.joined, r2.joined]);
    await range.idle();
    assert.deepEqual(r1.assignment(), [tp('x', 0), tp('x', 1), tp('y', 0), tp('y', 1)]);
    assert.deepEqual(r2.assignment(), [tp('x', 2), tp('y', 2)]);

    const roundRobin = new InMemoryCluster({ topics: { x: 3, y: 3 }, assignment: 'round-robin' });
    const o1 = addTestMember(roundRobin, 'g', ['x', 'y']);
    const o2 = addTestMember(roundRobin, 'g', ['x', 'y']);
    const only = addTestMember(roundRobin, 'g', ['y']);
    await Promise.all([o1.joined, o2.joined, only.joined]);
    await roundRobin.idle();
    // x0 o1, x1 o2, x2 o1 (the next in the circle that reads x), y0 o2, y1 only, y2 o1.
    assert.deepEqual(o1.assignment(), [tp('x', 0), tp('x', 2), tp('y', 2)]);
    assert.deepEqual(o2.assignment(), [tp('x', 1), tp('y', 0)]);
    assert.deepEqual(only.assignment(), [tp('y', 1)]);
  });

  test('commit history records commits of partitions the member did not own (Kafka accepts them; tests may not)', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2 } });
    const a = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    const b = addTestMember(cluster, 'g', ['in']);
    await a.source.start(recorder().listener);
    await cluster.idle();
    const foreign = b.assignment()[0]!;
    await a.offsets.commit([{ ...foreign, offset: '7' }]);
    assert.equal(cluster.group('g').commitHistory().at(-1)?.owned, false);
    assert.equal(cluster.group('g').committedOffset(foreign), 7n);
    await assert.rejects(a.offsets.commit([{ ...foreign, offset: 'x' }]), RangeError);
    await a.source.stop();
  });
});

describe('in-memory sinks and offsets', () => {
  test('the sink appends by key; failNextSends fails the next sends with a retriable KafkaSendFailed', async () => {
    const cluster = new InMemoryCluster({ topics: { out: 4 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: [] });
    await transport.sink!.send([out('out', 'a', 'k1'), out('out', 'b', 'k1')]);
    assert.deepEqual(
      cluster.read('out').map((record) => [record.partition, record.offset, record.value?.toString()]),
      [
        [partitionForKey('k1', 4), '0', 'a'],
        [partitionForKey('k1', 4), '1', 'b'],
      ],
    );
    transport.faults.failNextSends(2);
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(transport.sink!.send([out('out', 'c')]), (error: unknown) => isKascadeError(error, ErrorCode.KafkaSendFailed) && error.retriable);
    }
    await transport.sink!.send([out('out', 'c')]);
    assert.deepEqual(values(cluster.read('out')).filter((value) => value === 'c'), ['c']);
  });

  test('a send that fails after writing (lost acknowledgement) duplicates the records on retry; a custom error is thrown as given', async () => {
    const cluster = new InMemoryCluster({ topics: { out: 1 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: [] });
    transport.faults.failNextSends(1, { written: true });
    await assert.rejects(transport.sink!.send([out('out', 'x')]));
    await transport.sink!.send([out('out', 'x')]);
    assert.deepEqual(values(cluster.read('out')), ['x', 'x']);
    const custom = new Error('boom');
    transport.faults.failNextSends(1, { error: custom });
    await assert.rejects(transport.sink!.send([out('out', 'y')]), (error: unknown) => error === custom);
    await transport.sink!.close();
    await assert.rejects(transport.sink!.send([out('out', 'z')]));
  });

  test('failNextCommits fails offset commits retriably and commits nothing', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    await transport.source.start(recorder().listener);
    transport.faults.failNextCommits(1);
    await assert.rejects(transport.offsets.commit([{ topic: 'in', partition: 0, offset: '1' }]), (error: unknown) => isKascadeError(error, ErrorCode.KafkaSendFailed) && error.retriable);
    assert.deepEqual(await transport.offsets.committed([tp('in', 0)]), new Map());
    await transport.offsets.commit([{ topic: 'in', partition: 0, offset: '1' }]);
    assert.deepEqual(await transport.offsets.committed([tp('in', 0), tp('in', 9)]), new Map([['in/0', 1n]]));
    await transport.source.stop();
  });

  test('a source that is not in its group cannot commit', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1 } });
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'] });
    await rejectsOwnershipLost(transport.offsets.commit([{ topic: 'in', partition: 0, offset: '1' }]));
  });

  test('an exactly-once transport has transactions and no plain sink; an at-least-once one the reverse', () => {
    const cluster = new InMemoryCluster();
    const exactlyOnce = inMemoryTransport(cluster, { groupId: 'g', inputs: [], delivery: 'exactly-once' });
    const atLeastOnce = inMemoryTransport(cluster, { groupId: 'g', inputs: [] });
    assert.equal(exactlyOnce.sink, undefined);
    assert.ok(exactlyOnce.transactions !== undefined, 'expected true');
    assert.ok(atLeastOnce.sink !== undefined, 'expected true');
    assert.equal(atLeastOnce.transactions, undefined);
  });
});

describe('in-memory transactions', () => {
  async function exactlyOnceStage(cluster: InMemoryCluster, options: { readonly transactionalId?: string } = {}): Promise<{ transport: InMemoryStageTransport; seen: Recorder }> {
    const transport = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], delivery: 'exactly-once', ...options });
    const seen = recorder();
    await transport.source.start(seen.listener);
    return { transport, seen };
  }

  test('records and input offsets commit together: both visible at commit, neither after an abort', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1, out: 1 } });
    const { transport } = await exactlyOnceStage(cluster);
    const member = transport.source.membership().member!;

    const aborted = await transport.transactions!.begin();
    await aborted.send([out('out', 'no')]);
    await aborted.abort();
    assert.deepEqual(await transport.offsets.committed([tp('in', 0)]), new Map());

    const committed = await transport.transactions!.begin();
    await committed.send([out('out', 'yes')]);
    assert.deepEqual(values(cluster.read('out')), []);
    await committed.commit([{ topic: 'in', partition: 0, offset: '4' }], member);
    assert.deepEqual(values(cluster.read('out')), ['yes']);
    assert.deepEqual(await transport.offsets.committed([tp('in', 0)]), new Map([['in/0', 4n]]));
    assert.equal(cluster.group('g').commitHistory().at(-1)?.transactional, true);
    await assert.rejects(committed.send([out('out', 'late')]));
    await transport.source.stop();
  });

  test('committed() waits while a transaction holding offsets of the partition is committing (requireStable)', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1, out: 1 } });
    const { transport } = await exactlyOnceStage(cluster);
    const release = transport.faults.holdTransactionCommits();
    const transaction = await transport.transactions!.begin();
    await transaction.send([out('out', 'r')]);
    const commit = transaction.commit([{ topic: 'in', partition: 0, offset: '2' }], transport.source.membership().member!);
    await cluster.idle();
    assert.equal(cluster.group('g').isPending(tp('in', 0)), true);
    let answered: ReadonlyMap<string, bigint> | undefined;
    const query = transport.offsets.committed([tp('in', 0)]).then((offsets) => (answered = offsets));
    await cluster.idle();
    assert.equal(answered, undefined);
    release();
    await commit;
    await query;
    assert.deepEqual(answered, new Map([['in/0', 2n]]));
    await transport.source.stop();
  });

  test('a member assigned a partition with pending transactional offsets starts reading once the transaction ended', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1, out: 1 } });
    produceMany(cluster, 'in', 0, 5);
    const { transport, seen } = await exactlyOnceStage(cluster);
    await cluster.idle();
    const release = transport.faults.holdTransactionCommits();
    const transaction = await transport.transactions!.begin();
    const commit = transaction.commit([{ topic: 'in', partition: 0, offset: '3' }], transport.source.membership().member!);
    await cluster.idle();
    // The new member is assigned the partition, but its position waits for the pending offset.
    await transport.source.restart();
    await cluster.idle();
    assert.deepEqual(seen.offsets('in', 0), [0, 1, 2, 3, 4]);
    release();
    await commit;
    await cluster.idle();
    assert.deepEqual(seen.offsets('in', 0), [0, 1, 2, 3, 4, 3, 4]);
    await transport.source.stop();
  });

  test('a transaction commit with a stale generation is refused with OwnershipLostError and the transaction is aborted', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 2, out: 1 } });
    const { transport } = await exactlyOnceStage(cluster);
    const stale = transport.source.membership().member!;
    const b = addTestMember(cluster, 'g', ['in']);
    await b.joined;
    const transaction = await transport.transactions!.begin();
    await transaction.send([out('out', 'zombie')]);
    await assert.rejects(transaction.commit([{ topic: 'in', partition: 0, offset: '1' }], stale), (error: unknown) => isOwnershipLost(error) && error.partitions?.[0]?.partition === 0);
    assert.deepEqual(values(cluster.read('out')), []);
    assert.deepEqual(await transport.offsets.committed([tp('in', 0)]), new Map());
    // abort() after the refusal is harmless; the producer goes on with the current generation.
    await transaction.abort();
    const next = await transport.transactions!.begin();
    await next.send([out('out', 'fresh')]);
    await next.commit([{ topic: 'in', partition: 0, offset: '1' }], transport.source.membership().member!);
    assert.deepEqual(values(cluster.read('out')), ['fresh']);
    await transport.source.stop();
  });

  test('fencing: a newer producer with the same transactional id aborts the open transaction and the older one is refused', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1, out: 1 } });
    const { transport: old } = await exactlyOnceStage(cluster, { transactionalId: 'stage-0' });
    const open = await old.transactions!.begin();
    await open.send([out('out', 'zombie')]);
    const newer = inMemoryTransport(cluster, { groupId: 'g', inputs: ['in'], delivery: 'exactly-once', transactionalId: 'stage-0' });
    assert.equal(cluster.log.lastStableOffset(tp('out', 0)), cluster.log.endOffset(tp('out', 0)));
    await rejectsOwnershipLost(open.send([out('out', 'more')]));
    await rejectsOwnershipLost(open.commit([], old.source.membership().member!));
    await rejectsOwnershipLost(old.transactions!.begin());
    const transaction = await newer.transactions!.begin();
    await transaction.send([out('out', 'new')]);
    await transaction.commit([], old.source.membership().member!);
    assert.deepEqual(values(cluster.read('out')), ['new']);
    assert.deepEqual(values(cluster.read('out', { isolation: 'read_uncommitted' })), ['zombie', 'new']);
    await old.source.stop();
  });

  test('fencing while a commit is in flight refuses that commit; cluster.fence() fences like a newer producer', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1, out: 1 } });
    const { transport } = await exactlyOnceStage(cluster, { transactionalId: 'stage-1' });
    const release = transport.faults.holdTransactionCommits();
    const transaction = await transport.transactions!.begin();
    await transaction.send([out('out', 'x')]);
    const commit = transaction.commit([{ topic: 'in', partition: 0, offset: '1' }], transport.source.membership().member!);
    await cluster.idle();
    cluster.fence('stage-1');
    release();
    await rejectsOwnershipLost(commit);
    assert.deepEqual(values(cluster.read('out')), []);
    assert.deepEqual(await transport.offsets.committed([tp('in', 0)]), new Map());
    await transport.source.stop();
  });

  test('only one transaction at a time; failNextTransactionCommits leaves it open to retry; a failed send leaves it only abortable', async () => {
    const cluster = new InMemoryCluster({ topics: { in: 1, out: 1 } });
    const { transport } = await exactlyOnceStage(cluster);
    const member = transport.source.membership().member!;
    const transaction = await transport.transactions!.begin();
    await assert.rejects(transport.transactions!.begin());
    await transaction.send([out('out', 'a')]);
    transport.faults.failNextTransactionCommits(1);
    await assert.rejects(transaction.commit([{ topic: 'in', partition: 0, offset: '1' }], member), (error: unknown) => isKascadeError(error, ErrorCode.KafkaSendFailed) && error.retriable);
    await transaction.commit([{ topic: 'in', partition: 0, offset: '1' }], member);
    assert.deepEqual(values(cluster.read('out')), ['a']);

    const broken = await transport.transactions!.begin();
    transport.faults.failNextSends(1);
    await assert.rejects(broken.send([out('out', 'b')]));
    await assert.rejects(broken.commit([], member), (error: unknown) => isKascadeError(error, ErrorCode.KafkaSendFailed));
    await broken.abort();
    assert.deepEqual(values(cluster.read('out')), ['a']);

    // close() aborts what is open.
    const left = await transport.transactions!.begin();
    await left.send([out('out', 'c')]);
    await transport.transactions!.close();
    assert.deepEqual(values(cluster.read('out')), ['a']);
    assert.equal(cluster.log.lastStableOffset(tp('out', 0)), cluster.log.endOffset(tp('out', 0)));
    await transport.source.stop();
  });
});
