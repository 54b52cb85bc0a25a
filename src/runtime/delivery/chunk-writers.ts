import type { OutgoingRecord } from '../record.js';
import type { Logger } from '../../telemetry/logger.js';
import { OffsetCommitter } from './offset-committer.js';
import { isOwnershipLost, OwnershipLostError } from './ownership-lost.js';
import { partitionKey, type PartitionOffset, type StageTransport } from './ports.js';
import { TransactionGroup, writePartitionTransaction } from './transaction-group.js';

/**
 * How a chunk's outputs and its partition's offset reach Kafka under the stage's guarantee: an
 * acknowledged write then an offset commit (at-least-once), or one transaction holding both
 * (exactly-once).
 */
export interface ChunkWriter {
  /**
   * Writes `outgoing` and moves the partition's offset to `offset.offset`: with the records
   * (transactions) or shortly after they are acknowledged. `from` is the chunk's first offset.
   * `isCurrent` says whether the partition's lane still owns the chunk.
   */
  write(outgoing: readonly OutgoingRecord[], offset: PartitionOffset, from: string, isCurrent: () => boolean): Promise<void>;
  /** Resolves once everything written so far has its offsets committed (or refused). */
  flush(): Promise<void>;
  /** These partitions are gone: nothing more is committed for them. */
  forget(keys: readonly string[]): void;
  /** Closes the producers once the stage's work has ended. */
  close(): Promise<void>;
}

export interface ChunkWriterOptions {
  readonly stage: string;
  readonly transport: StageTransport;
  readonly logger: Logger;
  /** Whether the partition is owned by this instance now (a failed commit is retried only then). */
  readonly owns: (key: string) => boolean;
  /** How many chunks are being processed now (a transaction waits for them to join it). */
  readonly busy: () => number;
  readonly transactionLingerMs: number;
  readonly commitRetryMs: number;
}

export function chunkWriter(exactlyOnce: boolean, options: ChunkWriterOptions): ChunkWriter {
  return exactlyOnce ? new TransactionalChunkWriter(options) : new AcknowledgedChunkWriter(options);
}

/**
 * At-least-once: records are written through the acknowledged sink, then their offsets go to the
 * committer, which batches the commits of every partition. A commit that fails for a partition
 * still owned is sent again a little later, unless a newer offset was noted meanwhile: a partition
 * with no new records would otherwise never commit its written work.
 */
class AcknowledgedChunkWriter implements ChunkWriter {
  private readonly committer: OffsetCommitter;
  /** Per partition, the offset last handed to the committer. */
  private readonly noted = new Map<string, string>();
  private closed = false;

  constructor(private readonly options: ChunkWriterOptions) {
    const { transport, logger, stage } = options;
    if (transport.sink === undefined) throw new Error(`stage ${stage}: at-least-once needs an output sink`);
    this.committer = new OffsetCommitter(
      (offsets) => transport.offsets.commit(offsets),
      (error, offsets) => {
        const partitions = offsets.map((offset) => partitionKey(offset.topic, offset.partition)).join(',');
        // Refused because a rebalance moved on: those partitions' new owner reads from the last commit.
        if (isOwnershipLost(error)) {
          logger.info('offsets not committed: the partitions moved in a rebalance', { stage, partitions });
          return;
        }
        logger.warn('could not commit offsets; trying again shortly', { stage, partitions, error: error instanceof Error ? error.message : String(error) });
        setTimeout(() => this.retry(offsets), options.commitRetryMs).unref();
      },
    );
  }

  async write(outgoing: readonly OutgoingRecord[], offset: PartitionOffset, _from: string, isCurrent: () => boolean): Promise<void> {
    await this.options.transport.sink?.send(outgoing);
    const key = partitionKey(offset.topic, offset.partition);
    // A chunk written after its partition moved is not committed: the partition may be another member's.
    if (isCurrent() && this.noted.get(key) !== offset.offset) {
      this.noted.set(key, offset.offset);
      this.committer.note(offset);
    }
  }

  flush(): Promise<void> {
    return this.committer.flush();
  }

  forget(keys: readonly string[]): void {
    this.committer.forget(keys);
    for (const key of keys) this.noted.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.committer.flush();
    await this.options.transport.sink?.close().catch(() => undefined);
  }

  private retry(offsets: readonly PartitionOffset[]): void {
    if (this.closed) return;
    for (const offset of offsets) {
      const key = partitionKey(offset.topic, offset.partition);
      if (this.options.owns(key) && this.noted.get(key) === offset.offset) this.committer.note(offset);
    }
  }
}

/**
 * Exactly-once: a client with KIP-447 shares one transaction of about `transactionLingerMs` among
 * the chunks of every partition (TransactionGroup); kafkajs writes each chunk in a transaction of
 * its input partition's own producer.
 */
class TransactionalChunkWriter implements ChunkWriter {
  private readonly group: TransactionGroup | undefined;

  constructor(private readonly options: ChunkWriterOptions) {
    const { transport, stage } = options;
    const sink = transport.transactions;
    if (sink === undefined) throw new Error(`stage ${stage}: exactly-once needs a transactional sink`);
    this.group =
      sink.scope === 'instance'
        ? new TransactionGroup({ sink, member: () => transport.source.membership().member, busy: options.busy, lingerMs: options.transactionLingerMs })
        : undefined;
  }

  async write(outgoing: readonly OutgoingRecord[], offset: PartitionOffset, from: string, isCurrent: () => boolean): Promise<void> {
    const { transport } = this.options;
    // Work of a partition given up meanwhile is not written: its next owner redoes it.
    if (!isCurrent()) throw new OwnershipLostError(`${partitionKey(offset.topic, offset.partition)} was given up while its chunk was processed`, [offset]);
    if (this.group !== undefined) await this.group.write(outgoing, offset, isCurrent);
    else if (transport.transactions !== undefined) await writePartitionTransaction(transport.transactions, transport.source.membership().member, outgoing, from, offset);
  }

  async flush(): Promise<void> {
    await this.group?.flush();
  }

  forget(): void {
    // Offsets are committed inside the transactions: nothing waits to be sent.
  }

  async close(): Promise<void> {
    await this.group?.flush().catch(() => undefined);
    await (this.group?.close() ?? this.options.transport.transactions?.close())?.catch(() => undefined);
  }
}
