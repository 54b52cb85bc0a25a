import type { OffsetLog, PartitionOffset, StageTransport, TopicPartition } from '../ports.js';
import { nextTurn } from './activity.js';
import { FailNext, Gate } from './faults.js';
import type { InMemoryCluster } from './in-memory-cluster.js';
import { InMemoryOutputSink, InMemoryTransactionalSink, type SinkFaults } from './in-memory-sinks.js';
import { InMemoryRecordSource, type InMemorySourceOptions } from './in-memory-source.js';

export interface InMemoryTransportOptions extends InMemorySourceOptions {
  /** at-least-once gives a `sink`, exactly-once a `transactions` producer. Default at-least-once. */
  readonly delivery?: 'at-least-once' | 'exactly-once';
  /** The transactional id of an exactly-once transport; default unique per transport. Reuse one to fence. */
  readonly transactionalId?: string;
}

/** Faults a test injects into one transport. */
export interface InMemoryTransportFaults {
  /**
   * The next `count` sends (plain or transactional) fail with `error`, by default a retriable
   * KascadeError(KafkaSendFailed). With `written`, the records are written before the send fails
   * (the acknowledgement was lost): a retry writes them twice, as Kafka without idempotence would.
   * A failed transactional send leaves its transaction able only to abort.
   */
  failNextSends(count: number, options?: { readonly error?: Error; readonly written?: boolean }): void;
  /** The next `count` OffsetLog commits fail with `error` (default: retriable KafkaSendFailed); nothing is committed. */
  failNextCommits(count: number, error?: Error): void;
  /** The next `count` transaction commits fail with `error` (default: retriable); the transaction stays open. */
  failNextTransactionCommits(count: number, error?: Error): void;
  /**
   * Parks transaction commits after their offsets were staged (pending) until the returned
   * function is called: meanwhile `committed()` waits, as Kafka's requireStable does. A parked
   * commit does not keep `cluster.idle()` from resolving.
   */
  holdTransactionCommits(): () => void;
  /** Hands out no batch of this partition (a stuck fetch) until `resumePartition`. */
  pausePartition(topic: string, partition: number): void;
  resumePartition(topic: string, partition: number): void;
  /** This transport's member misses its session timeout: its partitions are lost and reassigned, its commits refused. */
  expire(): void;
  /** The source's client gives up: the listener's `failed` is called with `error`. */
  failSource(error: Error): void;
}

export interface InMemoryStageTransport extends StageTransport {
  readonly source: InMemoryRecordSource;
  readonly faults: InMemoryTransportFaults;
  /** Present for exactly-once transports. */
  readonly transactionalId?: string | undefined;
}

let transports = 0;

/**
 * The ports one stage instance runs on, over an in-memory cluster shared with the other
 * instances: a group member reading its inputs read_committed, the group's offsets, and a
 * plain (at-least-once) or transactional (exactly-once) producer.
 */
export function inMemoryTransport(cluster: InMemoryCluster, options: InMemoryTransportOptions): InMemoryStageTransport {
  const sinkFaults: SinkFaults = { sends: new FailNext(), sendWritesBeforeFailing: false, transactionCommits: new FailNext(), transactionCommitGate: new Gate() };
  const commitFaults = new FailNext();
  const source = new InMemoryRecordSource(cluster, options);
  const group = cluster.group(options.groupId);
  const number = ++transports;

  const offsets: OffsetLog = {
    commit: (partitionOffsets: readonly PartitionOffset[]) =>
      cluster.activity.track(async () => {
        await nextTurn();
        const failure = commitFaults.take('offset commit');
        if (failure !== undefined) throw failure;
        // The member as it is when the commit reaches the coordinator: a rebalance meanwhile makes it stale.
        group.commit(partitionOffsets, source.membership().member);
      }),
    committed: (partitions: readonly TopicPartition[]) => group.committed(partitions),
  };

  const exactlyOnce = options.delivery === 'exactly-once';
  const transactionalId = exactlyOnce ? (options.transactionalId ?? `${options.groupId}-transactional-${number}`) : undefined;
  const transactions = transactionalId === undefined ? undefined : new InMemoryTransactionalSink(cluster, transactionalId, sinkFaults);
  const sink = exactlyOnce ? undefined : new InMemoryOutputSink(cluster, sinkFaults);

  const faults: InMemoryTransportFaults = {
    failNextSends: (count, failOptions = {}) => {
      sinkFaults.sends.arm(count, failOptions.error);
      sinkFaults.sendWritesBeforeFailing = failOptions.written ?? false;
    },
    failNextCommits: (count, error) => commitFaults.arm(count, error),
    failNextTransactionCommits: (count, error) => sinkFaults.transactionCommits.arm(count, error),
    holdTransactionCommits: () => sinkFaults.transactionCommitGate.hold(),
    pausePartition: (topic, partition) => source.holdPartition({ topic, partition }),
    resumePartition: (topic, partition) => source.releasePartition({ topic, partition }),
    expire: () => {
      const memberId = source.currentMemberId;
      if (memberId !== undefined) group.expire(memberId);
    },
    failSource: (error) => source.fail(error),
  };

  return { source, offsets, sink, transactions, faults, transactionalId };
}
