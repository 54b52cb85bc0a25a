import { addOffsetsToTxnV4, txnOffsetCommitV4 } from '@platformatic/kafka';
import { OwnershipLostError } from '../../runtime/delivery/ownership-lost.js';
import type { GroupMember, OutputTransaction, PartitionOffset, TransactionalSink } from '../../runtime/delivery/ports.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import { MAX_REQUEST_BYTES, splitBySize } from '../produce/request-size.js';
import type { Coordinators } from './platformatic-coordinators.js';
import { commitError, describeKafkaError, isProducerFenced, kafkaErrorIds } from './platformatic-errors.js';
import { commitTopics } from './platformatic-offset-log.js';
import { rawProducer, type PlatformaticSinkOptions } from './platformatic-output-sink.js';
import { placeRecords } from './platformatic-placement.js';
import type { RawProducer } from './platformatic-records.js';

// The library's Transaction class is not exported from its root; its type is what beginTransaction gives.
type RawTransaction = Awaited<ReturnType<RawProducer['beginTransaction']>>;

export interface PlatformaticTransactionsOptions extends PlatformaticSinkOptions {
  readonly groupId: string;
  /** Stable across restarts of the same stage instance: its transactional id fences its zombies. */
  readonly instanceId: string;
}

/**
 * The producer's request timeout, which the library also sends as the transaction timeout: a
 * transaction left open by a crashed instance blocks the stable offset reads of its partitions'
 * next owner until the coordinator aborts it. kascade's transactions last ~100 ms.
 */
const TRANSACTION_TIMEOUT_MS = 10_000;

export function transactionalIdOf(groupId: string, instanceId: string): string {
  return `kascade-${groupId}-${instanceId}`;
}

/**
 * One transactional producer per stage instance. Offsets are added to a transaction with kascade's
 * own AddOffsetsToTxn and TxnOffsetCommit requests (the library's exported protocol APIs, with
 * the producer's public id and epoch), carrying the member's generation and member id (KIP-447):
 * the library's Transaction.addOffset takes one consumed Message per request, commits its
 * offset + 1, and deduplicates concurrent calls by name, so several partitions cannot go in one
 * commit through it.
 */
export class PlatformaticTransactions implements TransactionalSink {
  readonly scope = 'instance';
  #producer: RawProducer;
  readonly #options: PlatformaticTransactionsOptions;
  readonly #coordinators: Coordinators;
  #transactionalId: string;
  /** How many producers this instance replaced after being fenced (a new one takes a new transactional id). */
  #replaced = 0;
  #fenced: Error | undefined;
  /** A transaction whose abort failed (the broker unreachable): the library holds it as active until it ends. */
  #leftOpen: RawTransaction | undefined;

  constructor(options: PlatformaticTransactionsOptions, coordinators: Coordinators) {
    this.#options = options;
    this.#coordinators = coordinators;
    this.#transactionalId = transactionalIdOf(options.groupId, options.instanceId);
    this.#producer = rawProducer(options, this.#transactionalId, TRANSACTION_TIMEOUT_MS);
  }

  get transactionalId(): string {
    return this.#transactionalId;
  }

  async begin(): Promise<OutputTransaction> {
    if (this.#fenced !== undefined) {
      // The engine has given up the partitions of the fenced transaction (the coordinator aborted it:
      // a transaction timeout, or a newer producer); a new producer with a new epoch goes on.
      const fenced = this.#producer;
      this.#fenced = undefined;
      if (this.#options.reusedTransactionalId !== true) {
        // The library's InitProducerId names producer 0 epoch 0, which the coordinator refuses
        // (PRODUCER_FENCED) for a transactional id it knows under another producer id: the new
        // producer takes a transactional id of its own. Fencing zombies rests on the group
        // generation (KIP-447), not on this id, which is per process already.
        this.#replaced++;
        this.#transactionalId = `${transactionalIdOf(this.#options.groupId, this.#options.instanceId)}.${this.#replaced}`;
      }
      this.#producer = rawProducer(this.#options, this.#transactionalId, TRANSACTION_TIMEOUT_MS);
      this.#leftOpen = undefined;
      await new Promise<void>((resolve) => fenced.close(true, () => resolve()));
    }
    if (this.#leftOpen !== undefined) await this.#abortLeftOpen(this.#leftOpen);
    try {
      const transaction = await this.#producer.beginTransaction();
      return new PlatformaticTransaction(this, transaction);
    } catch (error) {
      throw this.failure('beginning a transaction', error);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#producer.close(true, () => resolve()));
  }

  /**
   * A new transaction cannot begin while the library holds one whose abort failed; nor may it:
   * with the same producer epoch, its records would join the transaction still open on the
   * broker. So the abort is tried again (until the broker answers) before the next begin.
   */
  async #abortLeftOpen(transaction: RawTransaction): Promise<void> {
    const outcome = await endWithAbort(transaction).catch((error: unknown) => {
      throw this.failure('aborting a transaction left open by a failed abort', error);
    });
    if (outcome === 'ended before') await transaction.cancel();
    this.#leftOpen = undefined;
  }

  /** @internal */
  leftOpen(transaction: RawTransaction): void {
    this.#leftOpen = transaction;
  }

  /** @internal */
  get producer(): RawProducer {
    return this.#producer;
  }

  /** @internal */
  get options(): PlatformaticTransactionsOptions {
    return this.#options;
  }

  /** @internal */
  get coordinators(): Coordinators {
    return this.#coordinators;
  }

  /** @internal OwnershipLostError (and no more transactions) once fenced, else the mapped error. */
  failure(what: string, error: unknown): Error {
    if (isProducerFenced(error)) {
      this.#fenced = new OwnershipLostError(`transactional id ${this.#transactionalId} was fenced (by a newer producer, or by its coordinator aborting a transaction that outlived the transaction timeout): ${describeKafkaError(error)}`, undefined, {
        cause: error,
      });
      return this.#fenced;
    }
    return commitError(`${what} (transactional id ${this.#transactionalId})`, error, []);
  }
}

class PlatformaticTransaction implements OutputTransaction {
  readonly #sink: PlatformaticTransactions;
  readonly #transaction: RawTransaction;
  #touched = false;
  #done = false;

  constructor(sink: PlatformaticTransactions, transaction: RawTransaction) {
    this.#sink = sink;
    this.#transaction = transaction;
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    this.#checkOpen();
    for (const piece of splitBySize(records, MAX_REQUEST_BYTES, this.#sink.options.topicLimit)) {
      try {
        const messages = await placeRecords(this.#sink.producer, piece.records, this.#sink.options.partitioner);
        this.#touched = true;
        await this.#transaction.send({ messages });
      } catch (error) {
        throw await this.#abortAfter(`writing ${piece.records.length} records in a transaction`, error);
      }
    }
  }

  async commit(offsets: readonly PartitionOffset[], member: GroupMember): Promise<void> {
    this.#checkOpen();
    const producer = this.#sink.producer;
    const transactionalId = this.#sink.transactionalId;
    try {
      if (offsets.length > 0) {
        const producerId = producer.producerId;
        const producerEpoch = producer.producerEpoch;
        if (producerId === undefined || producerEpoch === undefined) throw new Error('the transactional producer has no producer id');
        this.#touched = true;
        await this.#sink.coordinators.transaction(transactionalId, (connection) =>
          addOffsetsToTxnV4.api.async(connection, transactionalId, producerId, producerEpoch, member.groupId),
        );
        await this.#sink.coordinators.group(member.groupId, (connection) =>
          txnOffsetCommitV4.api.async(
            connection,
            transactionalId,
            member.groupId,
            producerId,
            producerEpoch,
            member.generationId,
            member.memberId,
            member.groupInstanceId ?? null,
            commitTopics(offsets),
          ),
        );
      }
    } catch (error) {
      const failure = await this.#abortAfter(`committing offsets of group ${member.groupId} (generation ${member.generationId})`, error);
      throw failure instanceof OwnershipLostError && failure.partitions?.length === 0 ? new OwnershipLostError(failure.message, offsets, { cause: error }) : failure;
    }
    try {
      if (this.#touched) await this.#transaction.commit();
      else await this.#transaction.cancel();
      this.#done = true;
    } catch (error) {
      const failure = this.#sink.failure('committing a transaction', error);
      if (failure instanceof OwnershipLostError) throw await this.#abortAfter('committing a transaction', error);
      // The commit's answer was lost or refused: an abort tells whether it landed all the same.
      if ((await this.#abortOutcome().catch(() => undefined)) === 'ended before') return;
      throw failure;
    }
  }

  async abort(): Promise<void> {
    await this.#abortOutcome();
  }

  /** Aborts; 'ended before' when the broker had already ended the transaction (its commit landed). */
  async #abortOutcome(): Promise<'aborted' | 'ended before'> {
    if (this.#done) return 'aborted';
    this.#done = true;
    if (!this.#touched) {
      await this.#transaction.cancel();
      return 'aborted';
    }
    try {
      const outcome = await endWithAbort(this.#transaction);
      if (outcome === 'ended before') await this.#transaction.cancel();
      return outcome;
    } catch (error) {
      const failure = this.#sink.failure('aborting a transaction', error);
      if (!(failure instanceof OwnershipLostError)) this.#sink.leftOpen(this.#transaction);
      throw failure;
    }
  }

  /** Aborts (best effort) after `error`, and gives the error to throw for it. */
  async #abortAfter(what: string, error: unknown): Promise<Error> {
    const failure = this.#sink.failure(what, error);
    if (!(failure instanceof OwnershipLostError && failure.partitions === undefined)) {
      await this.abort().catch(() => undefined);
    } else {
      // Fenced: the broker aborts for the new producer; the library's transaction is only dropped.
      this.#done = true;
      await this.#transaction.cancel().catch(() => undefined);
    }
    return failure;
  }

  #checkOpen(): void {
    if (this.#done) throw new Error('transaction already committed or aborted');
  }
}

/**
 * EndTxn(abort) for `transaction`. INVALID_TXN_STATE means the coordinator has no transaction of
 * this producer epoch open (it completed a commit of it): 'ended before', and the library, which
 * still holds it, must be told to drop it.
 */
async function endWithAbort(transaction: RawTransaction): Promise<'aborted' | 'ended before'> {
  try {
    await transaction.abort();
    return 'aborted';
  } catch (error) {
    if (kafkaErrorIds(error).has('INVALID_TXN_STATE')) return 'ended before';
    throw error;
  }
}
