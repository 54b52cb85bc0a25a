import { ErrorCode, KascadeError } from '../../../errors.js';
import type { OutgoingRecord } from '../../record.js';
import { OwnershipLostError } from '../ownership-lost.js';
import type { GroupMember, OutputSink, OutputTransaction, PartitionOffset, TopicPartition, TransactionalSink } from '../ports.js';
import { nextTurn } from './activity.js';
import type { InMemoryCluster } from './in-memory-cluster.js';
import type { LogTransaction } from './in-memory-log.js';
import type { ProducerToken } from './in-memory-transactions.js';
import type { FailNext, Gate } from './faults.js';
import { sortedPartitions } from './topic-partitions.js';

/** Fault switches the sinks consult on every call. */
export interface SinkFaults {
  readonly sends: FailNext;
  /** When set, a failing send still writes its records first (an acknowledgement lost on the way back). */
  sendWritesBeforeFailing: boolean;
  readonly transactionCommits: FailNext;
  readonly transactionCommitGate: Gate;
}

/** Appends records visible at once; one broker round trip (a turn of the event loop) per send. */
export class InMemoryOutputSink implements OutputSink {
  private closed = false;

  constructor(
    private readonly cluster: InMemoryCluster,
    private readonly faults: SinkFaults,
  ) {}

  send(records: readonly OutgoingRecord[]): Promise<void> {
    return this.cluster.activity.track(async () => {
      if (this.closed) throw new KascadeError(ErrorCode.KafkaSendFailed, 'the producer was closed');
      await nextTurn();
      const failure = this.faults.sends.take('send');
      if (failure !== undefined && !this.faults.sendWritesBeforeFailing) throw failure;
      for (const record of records) this.cluster.log.append(record);
      if (failure !== undefined) throw failure;
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

type TransactionPhase = 'open' | 'committing' | 'committed' | 'aborted';

/**
 * A transactional producer with one transactional id. Initialised when made: a producer made
 * later with the same id fences this one (its next call throws OwnershipLostError) and aborts the
 * transaction it left open.
 */
export class InMemoryTransactionalSink implements TransactionalSink {
  readonly scope = 'instance';
  private readonly token: ProducerToken;
  private open: InMemoryOutputTransaction | undefined;
  private closed = false;

  constructor(
    private readonly cluster: InMemoryCluster,
    readonly transactionalId: string,
    private readonly faults: SinkFaults,
  ) {
    this.token = cluster.transactions.init(transactionalId);
  }

  begin(): Promise<OutputTransaction> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (this.open !== undefined && this.open.active) return Promise.reject(new Error(`transactional producer ${this.transactionalId}: a transaction is open already`));
    const transaction = new InMemoryOutputTransaction(this.cluster, this.token, this.faults, () => {
      if (this.open === transaction) this.open = undefined;
    });
    this.open = transaction;
    return Promise.resolve(transaction);
  }

  /** Aborts the open transaction, if any (as closing a Kafka producer does). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.open?.active === true && !this.fenced) await this.open.abort();
  }

  get fenced(): boolean {
    return this.cluster.transactions.fenced(this.token);
  }

  private refusal(): Error | undefined {
    if (this.closed) return new KascadeError(ErrorCode.KafkaSendFailed, `transactional producer ${this.transactionalId} was closed`);
    if (this.fenced) return fencedError(this.token);
    return undefined;
  }
}

class InMemoryOutputTransaction implements OutputTransaction {
  private readonly logTransaction: LogTransaction;
  private phase: TransactionPhase = 'open';
  /** A failed send leaves the transaction able only to abort, as Kafka's abortable error state does. */
  private failed: Error | undefined;
  private readonly groupIds = new Set<string>();

  constructor(
    private readonly cluster: InMemoryCluster,
    private readonly token: ProducerToken,
    private readonly faults: SinkFaults,
    private readonly ended: () => void,
  ) {
    this.logTransaction = cluster.log.beginTransaction();
    cluster.transactions.opened(token, () => this.end('abort'));
  }

  get active(): boolean {
    return this.phase === 'open' || this.phase === 'committing';
  }

  send(records: readonly OutgoingRecord[]): Promise<void> {
    return this.cluster.activity.track(async () => {
      this.check('send');
      await nextTurn();
      this.check('send');
      const failure = this.faults.sends.take('transactional send');
      if (failure !== undefined && !this.faults.sendWritesBeforeFailing) {
        this.failed = failure;
        throw failure;
      }
      for (const record of records) this.cluster.log.append(record, { transaction: this.logTransaction });
      if (failure !== undefined) {
        this.failed = failure;
        throw failure;
      }
    });
  }

  /**
   * Stages the offsets for `member`'s group (refused, and the transaction aborted, when the
   * member is not in the group at its current generation), then ends the transaction one round
   * trip later: in between, the offsets are pending and `committed()` waits for them.
   */
  async commit(offsets: readonly PartitionOffset[], member: GroupMember): Promise<void> {
    const end = this.cluster.activity.begin();
    try {
      this.check('commit');
      const failure = this.faults.transactionCommits.take('transaction commit');
      if (failure !== undefined) throw failure;
      if (this.failed !== undefined) {
        throw new KascadeError(ErrorCode.KafkaSendFailed, 'a send of this transaction failed: it can only be aborted', { retriable: true, cause: this.failed });
      }
      this.phase = 'committing';
      if (offsets.length > 0) {
        const group = this.cluster.group(member.groupId);
        try {
          group.stageTransactional(this.logTransaction.id, offsets, member);
        } catch (error) {
          this.end('abort');
          throw error;
        }
        this.groupIds.add(member.groupId);
      }
      await nextTurn();
      end();
      // A held commit is not activity: a test holding it may wait for everything else to settle.
      await this.faults.transactionCommitGate.pass();
      if (this.cluster.transactions.fenced(this.token)) throw fencedError(this.token, sortedPartitions(offsets));
      if (!this.active) throw new Error('the transaction ended while it was committing');
      this.end('commit');
    } finally {
      end();
    }
  }

  abort(): Promise<void> {
    return this.cluster.activity.track(async () => {
      if (this.phase === 'committed') throw new Error('the transaction was committed');
      if (this.phase === 'aborted') return;
      if (this.cluster.transactions.fenced(this.token)) throw fencedError(this.token);
      await nextTurn();
      this.end('abort');
    });
  }

  private check(operation: string): void {
    if (this.cluster.transactions.fenced(this.token)) throw fencedError(this.token);
    if (this.phase !== 'open') throw new Error(`cannot ${operation}: the transaction is ${this.phase}`);
  }

  /** Ends the transaction in the log and in every group it staged offsets in. */
  private end(outcome: 'commit' | 'abort'): void {
    if (this.phase === 'committed' || this.phase === 'aborted') return;
    this.phase = outcome === 'commit' ? 'committed' : 'aborted';
    this.cluster.log.endTransaction(this.logTransaction, outcome);
    for (const groupId of this.groupIds) this.cluster.group(groupId).endTransactional(this.logTransaction.id, outcome);
    this.cluster.transactions.closed(this.token);
    this.ended();
  }
}

function fencedError(token: ProducerToken, partitions?: readonly TopicPartition[]): OwnershipLostError {
  return new OwnershipLostError(`transactional producer ${token.transactionalId} (epoch ${token.epoch}) was fenced by a newer one`, partitions);
}
