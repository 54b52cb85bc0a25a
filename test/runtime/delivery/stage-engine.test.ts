import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, KascadeError } from '../../../src/errors.js';
import { InMemoryCluster } from '../../../src/runtime/delivery/in-memory/in-memory-cluster.js';
import { inMemoryTransport, type InMemoryStageTransport } from '../../../src/runtime/delivery/in-memory/in-memory-transport.js';
import { StageEngine } from '../../../src/runtime/delivery/stage-engine.js';
import type { SourceRecord } from '../../../src/runtime/record.js';
import type { StageHandler } from '../../../src/runtime/stage-handler.js';
import { StagePipeline } from '../../../src/runtime/stage-pipeline.js';
import { createJsonSerde } from '../../../src/serde/json-serde.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import type { DeliveryGuarantee } from '../../../src/topology/spec.js';

/**
 * The delivery engine's commit, redelivery, rebalance and drain semantics, on the in-memory
 * broker: what a user of a stage relies on, checked by reading the topics and the group's offsets.
 */

const json = createJsonSerde();
const INPUT = 'in';
const OUTPUT = 'out';
const GROUP = 'stage-group';
const PARTITIONS = 4;
const noWait = { initialDelayMs: 1, maxDelayMs: 2, sleep: () => Promise.resolve() };

/** Copies `n` to the output; a gate lets a test hold the handler mid-batch. */
function copier(gate?: { wait: () => Promise<void> }): StageHandler {
  return {
    process: async (records) => {
      await gate?.wait();
      return records.map((record) => ({ outputs: [{ topic: OUTPUT, key: record.keyBytes, value: record.value }] }));
    },
  };
}

interface Instance {
  readonly engine: StageEngine;
  readonly transport: InMemoryStageTransport;
}

function instance(cluster: InMemoryCluster, delivery: DeliveryGuarantee, handler: StageHandler = copier(), maxBatchSize = 25): Instance {
  const pipeline = new StagePipeline({ stage: 'copy', handler, serdeFor: () => json, keyDecoderFor: () => undefined, onError: 'dlq', deadLetterTopic: 'in.dlq', clock: new ManualClock() });
  const transport = inMemoryTransport(cluster, { groupId: GROUP, inputs: [INPUT], delivery, maxBatchSize });
  const engine = new StageEngine({ stage: 'copy', delivery, pipeline, transport, logger: silentLogger, maxBatchSize: 10, transactionLingerMs: 1, retry: noWait });
  return { engine, transport };
}

function produce(cluster: InMemoryCluster, from: number, count: number): void {
  cluster.produce(
    INPUT,
    Array.from({ length: count }, (_, index) => ({ key: `user-${(from + index) % 13}`, value: JSON.stringify({ n: from + index }) })),
  );
}

const numbers = (records: readonly SourceRecord[]): number[] => records.map((record) => (JSON.parse(String(record.value)) as { n: number }).n);

/** Each input number's count among the outputs a read_committed reader sees. */
function tally(cluster: InMemoryCluster): Map<number, number> {
  const counts = new Map<number, number>();
  for (const n of numbers(cluster.read(OUTPUT))) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}

async function settle(cluster: InMemoryCluster, ...instances: Instance[]): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await cluster.transportIdle();
    await Promise.all(instances.map(({ engine }) => engine.settled()));
  }
}

function committedEverything(cluster: InMemoryCluster): boolean {
  const group = cluster.group(GROUP);
  return Array.from({ length: PARTITIONS }, (_, partition) => partition).every(
    (partition) => group.committedOffset({ topic: INPUT, partition }) === cluster.log.endOffset({ topic: INPUT, partition }),
  );
}

function freshCluster(): InMemoryCluster {
  return new InMemoryCluster({ topics: { [INPUT]: PARTITIONS, [OUTPUT]: PARTITIONS, 'in.dlq': 1 } });
}

/** Per key, the outputs keep the inputs' order (inputs of a key were produced in increasing n). */
function assertKeyOrder(cluster: InMemoryCluster): void {
  const lastByKey = new Map<string, number>();
  for (const record of cluster.read(OUTPUT)) {
    const key = String(record.key);
    const n = (JSON.parse(String(record.value)) as { n: number }).n;
    const last = lastByKey.get(key);
    assert.ok(last === undefined || n > last, `key ${key}: ${n} written after ${String(last)}`);
    lastByKey.set(key, n);
  }
}

for (const delivery of ['at-least-once', 'exactly-once'] as const) {
  describe(`the delivery engine, ${delivery}`, () => {
    test('every input is written exactly once and every partition is committed to its end', async () => {
      const cluster = freshCluster();
      const stage = instance(cluster, delivery);
      await stage.engine.start();
      produce(cluster, 0, 500);
      await settle(cluster, stage);
      const counts = tally(cluster);
      assert.equal(counts.size, 500, 'every input has an output');
      assert.deepEqual([...counts.values()].filter((count) => count !== 1), [], 'none twice');
      assert.equal(committedEverything(cluster), true, 'offsets at the end of every partition');
      assertKeyOrder(cluster);
      await stage.engine.stop();
    });

    test('systemic send failures are retried until they pass: nothing lost, nothing dead-lettered', async () => {
      const cluster = freshCluster();
      const stage = instance(cluster, delivery);
      await stage.engine.start();
      stage.transport.faults.failNextSends(3);
      produce(cluster, 0, 200);
      await settle(cluster, stage);
      assert.equal(tally(cluster).size, 200);
      assert.deepEqual([...tally(cluster).values()].filter((count) => count !== 1), [], 'a failed send wrote nothing, so its retry writes once');
      assert.equal(cluster.read('in.dlq').length, 0, 'systemic trouble never dead-letters');
      assert.equal(committedEverything(cluster), true);
      await stage.engine.stop();
    });

    test('stop() drains: work in flight finishes and is committed; a new instance goes on from there without a duplicate', async () => {
      const cluster = freshCluster();
      let release: () => void = () => undefined;
      let held = new Promise<void>((resolve) => (release = resolve));
      const gate = { wait: () => held };
      const first = instance(cluster, delivery, copier(gate));
      await first.engine.start();
      produce(cluster, 0, 300);
      await cluster.transportIdle();
      // The handler is busy with a chunk while the stage is told to stop.
      const stopping = first.engine.stop();
      release();
      held = Promise.resolve();
      await stopping;
      const afterFirst = tally(cluster);
      const second = instance(cluster, delivery);
      await second.engine.start();
      await settle(cluster, second);
      const counts = tally(cluster);
      assert.equal(counts.size, 300, 'every input written once the second instance caught up');
      assert.deepEqual([...counts.values()].filter((count) => count !== 1), [], 'what the first wrote was committed before it left');
      assert.ok(afterFirst.size > 0, 'the first wrote before it stopped');
      assert.equal(committedEverything(cluster), true);
      await second.engine.stop();
    });

    test('a member joining mid-stream takes partitions over in an orderly rebalance: no duplicate, nothing missing', async () => {
      const cluster = freshCluster();
      const first = instance(cluster, delivery);
      await first.engine.start();
      produce(cluster, 0, 400);
      await cluster.transportIdle();
      const second = instance(cluster, delivery);
      const joining = second.engine.start();
      produce(cluster, 400, 400);
      await joining;
      produce(cluster, 800, 200);
      await settle(cluster, first, second);
      assert.ok(first.engine.ownedPartitions().length > 0 && second.engine.ownedPartitions().length > 0, 'both own partitions');
      const counts = tally(cluster);
      assert.equal(counts.size, 1000, 'every input written');
      assert.deepEqual([...counts.entries()].filter(([, count]) => count !== 1), [], 'finished work was committed before its partition moved');
      assert.equal(committedEverything(cluster), true);
      await Promise.all([first.engine.stop(), second.engine.stop()]);
      // Scale in: the second stops; the first takes everything back and goes on without a duplicate.
    });

    test('a chunk still running when its partition is revoked finishes, and what it wrote is committed before the partition moves: no duplicate', async () => {
      const cluster = freshCluster();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = instance(cluster, delivery, copier({ wait: () => held }));
      await first.engine.start();
      produce(cluster, 0, 300);
      await cluster.transportIdle();
      // The second member's join revokes partitions while each partition's first chunk is held mid-processing.
      const second = instance(cluster, delivery);
      const joining = second.engine.start();
      await new Promise((resolve) => setImmediate(resolve));
      release();
      await joining;
      await settle(cluster, first, second);
      const counts = tally(cluster);
      assert.equal(counts.size, 300, 'nothing missing');
      assert.deepEqual([...counts.entries()].filter(([, count]) => count !== 1), [], 'the revoked chunk was committed (or not written) before its partition moved');
      assert.equal(committedEverything(cluster), true);
      await Promise.all([first.engine.stop(), second.engine.stop()]);
    });

    test('a member whose session expired loses its partitions without committing; its successor redoes the work', async () => {
      const cluster = freshCluster();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      const stuckOnce: StageHandler = {
        process: async (records) => {
          if (calls++ === 0) await held;
          return records.map((record) => ({ outputs: [{ topic: OUTPUT, key: record.keyBytes, value: record.value }] }));
        },
      };
      const zombie = instance(cluster, delivery, stuckOnce);
      await zombie.engine.start();
      produce(cluster, 0, 100);
      await cluster.transportIdle();
      // Frozen mid-chunk, its session expires and another member takes everything over.
      zombie.transport.faults.expire();
      const successor = instance(cluster, delivery);
      await successor.engine.start();
      await settle(cluster, successor);
      release();
      await settle(cluster, zombie, successor);
      const counts = tally(cluster);
      assert.equal(counts.size, 100, 'nothing missing');
      if (process.env['DEBUG_ENGINE'] !== undefined) console.log(JSON.stringify(cluster.group(GROUP).commitHistory(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
      if (delivery === 'exactly-once') assert.deepEqual([...counts.entries()].filter(([, count]) => count !== 1), [], 'the zombie could not commit what it held');
      assert.equal(committedEverything(cluster), true);
      await Promise.all([zombie.engine.stop(), successor.engine.stop()]);
    });
  });
}

test('a record failing under onError: fail stops the stage: nothing of its chunk is written or committed', async () => {
  const cluster = freshCluster();
  const failing: StageHandler = {
    process: (records) =>
      Promise.resolve(
        records.map((record) =>
          (record.value as { n: number }).n === 7
            ? { error: new KascadeError(ErrorCode.TransformFailed, 'seven') }
            : { outputs: [{ topic: OUTPUT, key: record.keyBytes, value: record.value }] },
        ),
      ),
  };
  const pipeline = new StagePipeline({ stage: 'copy', handler: failing, serdeFor: () => json, keyDecoderFor: () => undefined, onError: 'fail', deadLetterTopic: 'in.dlq', clock: new ManualClock() });
  const transport = inMemoryTransport(cluster, { groupId: GROUP, inputs: [INPUT], delivery: 'at-least-once' });
  const engine = new StageEngine({ stage: 'copy', delivery: 'at-least-once', pipeline, transport, logger: silentLogger, retry: noWait });
  await engine.start();
  cluster.produce(INPUT, [{ key: 'a', value: JSON.stringify({ n: 7 }), partition: 0 }]);
  const exit = await engine.exited;
  assert.ok(exit.kind === 'failed', 'the stage failed');
  assert.match(exit.error.message, /seven/);
  assert.equal(cluster.read(OUTPUT).length, 0);
  assert.equal(cluster.group(GROUP).committedOffset({ topic: INPUT, partition: 0 }), undefined);
});

test('exactly-once: committed offsets that cannot be read before the stage stops end no process (no unhandled rejection)', async () => {
  const cluster = freshCluster();
  produce(cluster, 0, 20);
  const pipeline = new StagePipeline({ stage: 'copy', handler: copier(), serdeFor: () => json, keyDecoderFor: () => undefined, onError: 'dlq', deadLetterTopic: 'in.dlq', clock: new ManualClock() });
  const base = inMemoryTransport(cluster, { groupId: GROUP, inputs: [INPUT], delivery: 'exactly-once', maxBatchSize: 25 });
  // The broker connection is gone (a consumer closed under a late join): every read fails, retriably.
  const unreadable = new KascadeError(ErrorCode.KafkaSendFailed, 'reading committed offsets failed: Connection error: write after end', { retriable: true });
  const transport = { ...base, offsets: { ...base.offsets, committed: () => Promise.reject(unreadable) } };
  const retry = { initialDelayMs: 1, maxDelayMs: 2, sleep: () => new Promise<void>((resolve) => setImmediate(resolve)) };
  const engine = new StageEngine({ stage: 'copy', delivery: 'exactly-once', pipeline, transport, logger: silentLogger, maxBatchSize: 10, transactionLingerMs: 1, retry });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await engine.start();
    await engine.stop();
    // Rejections surface as unhandled one macrotask after they settle.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    assert.equal((await engine.exited).kind, 'stopped');
    assert.equal(cluster.read(OUTPUT).length, 0, 'nothing is written without the floor of its partition');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

/**
 * An at-least-once instance that rejoins by itself after its session expires (as Kafka clients do)
 * and gets every partition back, after a broker pause: 100 records written and acknowledged, no
 * commit landed.
 */
async function writtenWithNoCommitLanded(): Promise<{ cluster: InMemoryCluster; engine: StageEngine; transport: InMemoryStageTransport }> {
  const cluster = freshCluster();
  const pipeline = new StagePipeline({ stage: 'copy', handler: copier(), serdeFor: () => json, keyDecoderFor: () => undefined, onError: 'dlq', deadLetterTopic: 'in.dlq', clock: new ManualClock() });
  const transport = inMemoryTransport(cluster, { groupId: GROUP, inputs: [INPUT], delivery: 'at-least-once', maxBatchSize: 25, rejoinOnExpiry: true });
  const engine = new StageEngine({ stage: 'copy', delivery: 'at-least-once', pipeline, transport, logger: silentLogger, maxBatchSize: 10, retry: noWait });
  await engine.start();
  transport.faults.failNextCommits(1_000_000);
  produce(cluster, 0, 100);
  await settle(cluster, { engine, transport });
  return { cluster, engine, transport };
}

test('at-least-once, a member that gets its partitions back after its session expired resumes after what it wrote, not at its last commit', async () => {
  const { cluster, engine, transport } = await writtenWithNoCommitLanded();
  assert.equal(tally(cluster).size, 100);
  assert.equal(cluster.group(GROUP).committedOffset({ topic: INPUT, partition: 0 }), undefined, 'nothing committed during the pause');
  transport.faults.failNextCommits(0);
  transport.faults.expire();
  await settle(cluster, { engine, transport });
  assert.deepEqual([...tally(cluster).entries()].filter(([, count]) => count !== 1), [], 'nothing written twice');
  assert.equal(committedEverything(cluster), true, 'the written work was committed under the new membership');
  await engine.stop();
});

test('at-least-once, when the commit of work written before the partitions were lost fails, that work is written again and committed', async () => {
  const { cluster, engine, transport } = await writtenWithNoCommitLanded();
  // The first commits after the rejoin are those of the resumed partitions: they fail too.
  transport.faults.failNextCommits(PARTITIONS);
  transport.faults.expire();
  await settle(cluster, { engine, transport });
  const counts = tally(cluster);
  assert.equal(counts.size, 100, 'nothing missing');
  assert.ok([...counts.values()].every((count) => count === 2), 'started at the committed offsets: written again');
  assert.equal(committedEverything(cluster), true, 'and committed this time: no partition is left behind its position');
  await engine.stop();
});
