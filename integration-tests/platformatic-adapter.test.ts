import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { partitionForKey } from '../src/routing/partitioner.js';
import { OwnershipLostError } from '../src/runtime/delivery/ownership-lost.js';
import type { PartitionOffset, SourceBatch, SourceListener, TopicPartition } from '../src/runtime/delivery/ports.js';
import type { OutgoingRecord, SourceRecord } from '../src/runtime/record.js';
import { Coordinators } from '../src/kafka/platformatic/platformatic-coordinators.js';
import { PlatformaticOffsetLog } from '../src/kafka/platformatic/platformatic-offset-log.js';
import { PlatformaticOutputSink } from '../src/kafka/platformatic/platformatic-output-sink.js';
import { PlatformaticRecordSource } from '../src/kafka/platformatic/platformatic-record-source.js';
import { PlatformaticTransactions } from '../src/kafka/platformatic/platformatic-transactions.js';
import { connection, createTopic, testKafka, uniqueName } from './helpers/kafka.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('platformatic-adapter');
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

class Recorder implements SourceListener {
  readonly records: SourceRecord[] = [];
  readonly events: string[] = [];
  readonly revoked: TopicPartition[][] = [];
  readonly assignments: TopicPartition[][] = [];
  readonly lostSets: TopicPartition[][] = [];
  readonly failures: Error[] = [];
  onBatch: (batch: SourceBatch) => Promise<void> = () => Promise.resolve();
  onRevoking: (partitions: readonly TopicPartition[]) => Promise<void> = () => Promise.resolve();
  async batch(batch: SourceBatch): Promise<void> {
    this.records.push(...batch.records);
    await this.onBatch(batch);
  }
  assigned(partitions: readonly TopicPartition[]): void {
    this.events.push(`assigned ${names(partitions)}`);
    this.assignments.push([...partitions]);
  }
  async revoking(partitions: readonly TopicPartition[]): Promise<void> {
    this.events.push(`revoking ${names(partitions)}`);
    this.revoked.push([...partitions]);
    await this.onRevoking(partitions);
  }
  lost(partitions: readonly TopicPartition[]): void {
    this.events.push(`lost ${names(partitions)}`);
    this.lostSets.push([...partitions]);
  }
  failed(error: Error): void {
    this.failures.push(error);
  }
  of(partition: number): SourceRecord[] {
    return this.records.filter((record) => record.partition === partition);
  }
}

function names(partitions: readonly TopicPartition[]): string {
  return partitions.map((tp) => tp.partition).join(',');
}

interface Stage {
  readonly source: PlatformaticRecordSource;
  readonly offsets: PlatformaticOffsetLog;
  readonly recorder: Recorder;
  readonly coordinators: Coordinators;
}

async function startStage(groupId: string, topic: string, recorder = new Recorder(), extra: { heartbeatIntervalMs?: number } = {}): Promise<Stage> {
  const source = new PlatformaticRecordSource({
    connection,
    clientId: 'kascade-test-platformatic',
    groupId,
    topics: [topic],
    tuning: { maxWaitMs: 100 },
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: extra.heartbeatIntervalMs ?? 500,
  });
  const coordinators = new Coordinators(connection, { clientId: 'kascade-test-platformatic' });
  closers.push(() => source.stop(), () => coordinators.close());
  await source.start(recorder);
  return { source, offsets: new PlatformaticOffsetLog(source, coordinators, groupId), recorder, coordinators };
}

function sinkOf(): PlatformaticOutputSink {
  const sink = new PlatformaticOutputSink({ connection, clientId: 'kascade-test-platformatic-sink' });
  closers.push(() => sink.close());
  return sink;
}

const HEADERS: OutgoingRecord['headers'] = [
  ['trace', 'a'],
  ['trace', 'b'],
  ['', Buffer.from([0])],
  ['bin', Buffer.from([0xff, 0x00, 0xfe])],
  ['nothing', null],
  ['trace', Buffer.alloc(0)],
];

function bytesOf(value: Buffer | string | null): Buffer | null {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

describe('@platformatic/kafka adapter against the local broker', () => {
  test('records written by the sink come back exactly, in order per partition, with headers byte for byte', async () => {
    const topic = uniqueName('plt-roundtrip');
    await createTopic(kafka, topic, 3);
    const sink = sinkOf();
    const keys = [Buffer.from('alpha'), Buffer.from([0x00, 0xff, 0x10]), null, Buffer.from('delta'), Buffer.alloc(0)];
    const records: OutgoingRecord[] = [];
    for (let i = 0; i < 30; i++) {
      records.push({ topic, key: keys[i % keys.length] ?? null, value: i % 7 === 3 ? null : Buffer.from(`v${i}`), headers: HEADERS, timestamp: String(1_700_000_000_000 + i) });
    }
    await sink.send(records);
    const stage = await startStage(uniqueName('plt-group'), topic);
    await waitFor(() => stage.recorder.records.length >= records.length, { what: 'all records read' });
    assert.equal(stage.recorder.records.length, records.length);
    for (let partition = 0; partition < 3; partition++) {
      const read = stage.recorder.of(partition);
      assert.deepEqual(read.map((record) => record.offset), read.map((_, index) => String(index)), `offsets of partition ${partition}`);
    }
    for (const record of stage.recorder.records) {
      const index = Number(record.timestamp) - 1_700_000_000_000;
      const written = records[index];
      assert.ok(written !== undefined);
      assert.deepEqual(record.key, written.key);
      assert.deepEqual(record.value, written.value);
      assert.deepEqual(record.headers, HEADERS.map(([name, value]) => [name, bytesOf(value)]));
      if (written.key !== null) assert.equal(record.partition, partitionForKey(written.key, 3), 'keyed records placed as the Java client');
    }
    const keyless = stage.recorder.records.filter((record) => record.key === null);
    assert.ok(new Set(keyless.map((record) => record.partition)).size > 1, 'keyless records spread over partitions');
    assert.deepEqual(stage.recorder.failures, []);
  });

  test('a partition gets its next batch only after the previous one finished; pause stops delivery; commit then a new member starts after it', async () => {
    const topic = uniqueName('plt-commit');
    await createTopic(kafka, topic, 1);
    const sink = sinkOf();
    const groupId = uniqueName('plt-group');
    const recorder = new Recorder();
    let release: (() => void) | undefined;
    let inFlight = 0;
    let overlap = false;
    recorder.onBatch = async () => {
      inFlight++;
      if (inFlight > 1) overlap = true;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      inFlight--;
    };
    await sink.send([{ topic, key: null, value: Buffer.from('r0'), headers: [] }]);
    const stage = await startStage(groupId, topic, recorder);
    await waitFor(() => recorder.records.length === 1, { what: 'the first record' });
    await sink.send(Array.from({ length: 9 }, (_, i) => ({ topic, key: null, value: Buffer.from(`r${i + 1}`), headers: [] })));
    // The first batch is not finished: nothing else of the partition arrives meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(recorder.records.length, 1);
    stage.source.pause();
    release?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(recorder.records.length, 1, 'paused: no batch handed');
    recorder.onBatch = () => Promise.resolve();
    stage.source.resume();
    await waitFor(() => recorder.records.length === 10, { what: 'ten records after resume' });
    assert.equal(overlap, false);
    assert.deepEqual(recorder.records.map((record) => record.offset), Array.from({ length: 10 }, (_, i) => String(i)));

    await stage.offsets.commit([{ topic, partition: 0, offset: '6' }]);
    const committed = await stage.offsets.committed([{ topic, partition: 0 }]);
    assert.equal(committed.get(`${topic}/0`), 6n);
    await stage.source.stop();
    assert.ok(recorder.events.includes('revoking 0'), 'stop revokes what it owns first');
    await assert.rejects(stage.offsets.commit([{ topic, partition: 0, offset: '7' }]), OwnershipLostError);

    const next = await startStage(groupId, topic);
    await waitFor(() => next.recorder.records.length === 4, { what: 'records after the committed offset' });
    assert.deepEqual(next.recorder.records.map((record) => record.offset), ['6', '7', '8', '9']);
  });

  test('a transaction commits records and offsets together; an aborted one leaves neither', async () => {
    const input = uniqueName('plt-tx-in');
    const output = uniqueName('plt-tx-out');
    await createTopic(kafka, input, 1);
    await createTopic(kafka, output, 1);
    const groupId = uniqueName('plt-group');
    await sinkOf().send(Array.from({ length: 4 }, (_, i) => ({ topic: input, key: null, value: Buffer.from(`in${i}`), headers: [] })));
    const stage = await startStage(groupId, input);
    await waitFor(() => stage.recorder.records.length === 4, { what: 'input read' });
    const member = stage.source.membership().member;
    assert.ok(member !== undefined);
    const transactions = new PlatformaticTransactions({ connection, clientId: 'kascade-test-plt-tx', groupId, instanceId: 'i0' }, stage.coordinators);
    closers.push(() => transactions.close());

    const aborted = await transactions.begin();
    await aborted.send([{ topic: output, key: Buffer.from('k'), value: Buffer.from('aborted'), headers: [['h', null]] }]);
    await aborted.abort();
    assert.equal((await stage.offsets.committed([{ topic: input, partition: 0 }])).get(`${input}/0`), undefined);

    const committedTx = await transactions.begin();
    await committedTx.send([{ topic: output, key: Buffer.from('k'), value: Buffer.from('committed'), headers: [['h', null]] }]);
    const offsets: PartitionOffset[] = [{ topic: input, partition: 0, offset: '4' }];
    await committedTx.commit(offsets, member);
    assert.equal((await stage.offsets.committed([{ topic: input, partition: 0 }])).get(`${input}/0`), 4n);

    // A read_committed reader sees the committed record only (the aborted one is skipped).
    const reader = await startStage(uniqueName('plt-group'), output);
    await waitFor(() => reader.recorder.records.length >= 1, { what: 'committed output' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(reader.recorder.records.map((record) => record.value?.toString()), ['committed']);
    assert.deepEqual(reader.recorder.records[0]?.headers, [['h', null]]);
  });

  test('a second member makes the first give partitions up and take the rest again; the stale generation cannot commit offsets in a transaction', async (t) => {
    const topic = uniqueName('plt-rebalance');
    await createTopic(kafka, topic, 4);
    const groupId = uniqueName('plt-group');
    const first = await startStage(groupId, topic);
    assert.deepEqual(first.recorder.assignments.at(-1)?.map((tp) => tp.partition), [0, 1, 2, 3]);
    const stale = first.source.membership().member;
    assert.ok(stale !== undefined);
    const second = await startStage(groupId, topic);
    await waitFor(() => first.recorder.assignments.length === 2, { what: () => `the first member's reassignment: ${first.recorder.events.join('; ')}` });
    t.diagnostic(`first member: ${first.recorder.events.join('; ')}`);
    const kept = first.recorder.assignments[1]?.map((tp) => tp.partition) ?? [];
    const moved = second.recorder.assignments.at(-1)?.map((tp) => tp.partition) ?? [];
    assert.equal(kept.length + moved.length, 4);
    assert.deepEqual([...kept, ...moved].sort(), [0, 1, 2, 3]);
    const revoked = new Set([...first.recorder.revoked.flat(), ...first.recorder.lostSets.flat()].map((tp) => tp.partition));
    for (const partition of moved) assert.ok(revoked.has(partition), `partition ${partition} was revoked or lost before moving: ${first.recorder.events.join('; ')}`);
    assert.ok(first.recorder.revoked.length > 0, `revoking was called: ${first.recorder.events.join('; ')}`);
    const current = first.source.membership().member;
    assert.ok(current !== undefined && current.generationId > stale.generationId);

    const transactions = new PlatformaticTransactions({ connection, clientId: 'kascade-test-plt-zombie', groupId, instanceId: 'zombie' }, first.coordinators);
    closers.push(() => transactions.close());
    const zombie = await transactions.begin();
    await assert.rejects(zombie.commit([{ topic, partition: kept[0] ?? 0, offset: '1' }], stale), OwnershipLostError);
    assert.equal((await first.offsets.committed([{ topic, partition: kept[0] ?? 0 }])).size, 0, 'nothing committed by the zombie');
    // The current generation of the same member may.
    const live = await transactions.begin();
    await live.commit([{ topic, partition: kept[0] ?? 0, offset: '0' }], current);
    // A plain commit of a partition that moved away is refused.
    if (moved[0] !== undefined) await assert.rejects(first.offsets.commit([{ topic, partition: moved[0], offset: '0' }]), OwnershipLostError);
  });
});
