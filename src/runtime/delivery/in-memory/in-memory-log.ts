import { ErrorCode, KascadeError } from '../../../errors.js';
import { partitionForKey } from '../../../routing/partitioner.js';
import { systemClock, type Clock } from '../../clock.js';
import type { OutgoingRecord, SourceRecord } from '../../record.js';
import type { TopicPartition } from '../ports.js';

/** read_committed sees committed data only, up to the last stable offset; read_uncommitted sees every record. */
export type Isolation = 'read_committed' | 'read_uncommitted';

/** Where a keyed record goes; kascade's colocation partitioner fits here, as does Kafka's default. */
export type KeyPartitioner = (topic: string, key: Buffer, partitions: number) => number;
/** Where a keyless record goes. */
export type KeylessPartitioner = (topic: string, partitions: number) => number;

export interface InMemoryLogOptions {
  /** Timestamps of records appended without one. Default: the system clock. */
  readonly clock?: Clock;
  /** Default: Kafka's murmur2 partitioner. */
  readonly partitioner?: KeyPartitioner;
  /** Default: partition 0, like the topology test driver (deterministic, where Kafka would spread them). */
  readonly keylessPartitioner?: KeylessPartitioner;
  /** Partitions of a topic created on first use. Default 1. */
  readonly defaultPartitions?: number;
}

/** A log-level transaction: its records get offsets at once but stay invisible to read_committed until it ends. */
export interface LogTransaction {
  readonly id: number;
}

export interface ReadResult {
  readonly records: SourceRecord[];
  /** One past the last entry of the partition (records and markers). */
  readonly highWatermark: bigint;
  /** The first offset of the oldest open transaction, else the high watermark: read_committed stops here. */
  readonly lastStableOffset: bigint;
}

type TransactionState = 'open' | 'committed' | 'aborted';

interface DataEntry {
  readonly kind: 'data';
  readonly record: SourceRecord;
  readonly transaction: number | undefined;
}

/** A control record: it takes an offset like Kafka's commit and abort markers, and is never read. */
interface MarkerEntry {
  readonly kind: 'marker';
  readonly transaction: number;
}

type Entry = DataEntry | MarkerEntry;

interface PartitionLog {
  readonly entries: Entry[];
  /** Open transactions with records here -> the offset of their first one (it bounds the last stable offset). */
  readonly open: Map<number, number>;
}

/**
 * Topics of N partitions, each an append-only log whose offsets start at 0. Transactional records
 * take their offsets when written and become visible to read_committed readers when their
 * transaction commits; an abort hides them for good. Ending a transaction writes a marker per
 * partition it touched, so offsets are not contiguous (as in Kafka): code must not assume they are.
 */
export class InMemoryLog {
  private readonly topicLogs = new Map<string, PartitionLog[]>();
  private readonly transactionStates = new Map<number, TransactionState>();
  private readonly touched = new Map<number, Set<PartitionLog>>();
  private readonly listeners = new Set<() => void>();
  private readonly clock: Clock;
  private readonly partitioner: KeyPartitioner;
  private readonly keylessPartitioner: KeylessPartitioner;
  private readonly defaultPartitions: number;
  private nextTransaction = 1;

  constructor(options: InMemoryLogOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.partitioner = options.partitioner ?? ((_topic, key, partitions) => partitionForKey(key, partitions));
    this.keylessPartitioner = options.keylessPartitioner ?? (() => 0);
    this.defaultPartitions = options.defaultPartitions ?? 1;
  }

  /** Creates a topic; creating it again with the same count is a no-op, with another count an error. */
  createTopic(topic: string, partitions: number): void {
    if (!Number.isInteger(partitions) || partitions < 1) throw new KascadeError(ErrorCode.ConfigInvalid, `${topic}: a topic has at least one partition, not ${partitions}`);
    const existing = this.topicLogs.get(topic);
    if (existing !== undefined) {
      if (existing.length !== partitions) throw new KascadeError(ErrorCode.ConfigInvalid, `${topic} already has ${existing.length} partitions`);
      return;
    }
    this.topicLogs.set(topic, Array.from({ length: partitions }, () => ({ entries: [], open: new Map<number, number>() })));
    this.changed();
  }

  hasTopic(topic: string): boolean {
    return this.topicLogs.has(topic);
  }

  topics(): string[] {
    return [...this.topicLogs.keys()].sort();
  }

  /** Offsets written in all, markers included: it grows with every write (a driver waits until it stops growing). */
  size(): bigint {
    let total = 0n;
    for (const [topic, partitions] of this.topicLogs) for (let partition = 0; partition < partitions.length; partition++) total += this.endOffset({ topic, partition });
    return total;
  }

  /** The partition count of a topic, creating it with the default count if it does not exist yet (auto-create). */
  partitionCount(topic: string): number {
    return this.partitionsOf(topic).length;
  }

  /** The partition a record without an explicit one goes to. */
  partitionFor(topic: string, key: Buffer | null): number {
    const count = this.partitionCount(topic);
    const partition = key === null ? this.keylessPartitioner(topic, count) : this.partitioner(topic, key, count);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `the partitioner chose partition ${partition} of ${topic}, which has ${count}`);
    }
    return partition;
  }

  /** Appends one record (to `partition`, else where its key places it), inside `transaction` when given. */
  append(record: OutgoingRecord, options: { readonly partition?: number; readonly transaction?: LogTransaction } = {}): SourceRecord {
    const partition = options.partition ?? this.partitionFor(record.topic, record.key);
    const log = this.partitionLog({ topic: record.topic, partition });
    const transaction = options.transaction?.id;
    if (transaction !== undefined && this.transactionStates.get(transaction) !== 'open') {
      throw new Error(`log transaction ${transaction} is not open`);
    }
    const offset = log.entries.length;
    const stored: SourceRecord = {
      topic: record.topic,
      partition,
      offset: String(offset),
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp ?? String(this.clock.now().getTime()),
    };
    log.entries.push({ kind: 'data', record: stored, transaction });
    if (transaction !== undefined) {
      if (!log.open.has(transaction)) log.open.set(transaction, offset);
      let touched = this.touched.get(transaction);
      if (touched === undefined) this.touched.set(transaction, (touched = new Set()));
      touched.add(log);
    }
    this.changed();
    return stored;
  }

  beginTransaction(): LogTransaction {
    const id = this.nextTransaction++;
    this.transactionStates.set(id, 'open');
    return { id };
  }

  transactionState(transaction: LogTransaction): TransactionState | undefined {
    return this.transactionStates.get(transaction.id);
  }

  /** Ends a transaction: a marker on every partition it wrote to, then its records are visible (commit) or gone (abort). */
  endTransaction(transaction: LogTransaction, outcome: 'commit' | 'abort'): void {
    if (this.transactionStates.get(transaction.id) !== 'open') return;
    this.transactionStates.set(transaction.id, outcome === 'commit' ? 'committed' : 'aborted');
    for (const log of this.touched.get(transaction.id) ?? []) {
      log.entries.push({ kind: 'marker', transaction: transaction.id });
      log.open.delete(transaction.id);
    }
    this.touched.delete(transaction.id);
    this.changed();
  }

  /**
   * Up to `max` records of a partition from offset `from` on. read_committed skips aborted
   * records and stops at the last stable offset; both isolations skip markers.
   */
  read(tp: TopicPartition, from: bigint, max: number, isolation: Isolation = 'read_committed'): ReadResult {
    const log = this.partitionLog(tp);
    const highWatermark = BigInt(log.entries.length);
    const lastStableOffset = lastStable(log);
    const end = isolation === 'read_committed' ? lastStableOffset : highWatermark;
    const records: SourceRecord[] = [];
    for (let offset = from < 0n ? 0n : from; offset < end && records.length < max; offset++) {
      const entry = log.entries[Number(offset)];
      if (entry?.kind === 'data' && this.visible(entry, isolation)) records.push(entry.record);
    }
    return { records, highWatermark, lastStableOffset };
  }

  /** One past the last entry of the partition. */
  endOffset(tp: TopicPartition): bigint {
    return BigInt(this.partitionLog(tp).entries.length);
  }

  lastStableOffset(tp: TopicPartition): bigint {
    return lastStable(this.partitionLog(tp));
  }

  /** Every record of a topic, in partition then offset order: committed ones, or all (pending and aborted too). */
  records(topic: string, isolation: Isolation = 'read_committed'): SourceRecord[] {
    const logs = this.topicLogs.get(topic) ?? [];
    return logs.flatMap((_log, partition) => this.read({ topic, partition }, 0n, Number.MAX_SAFE_INTEGER, isolation).records);
  }

  /** Called after every change (append, transaction end, new topic); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private visible(entry: DataEntry, isolation: Isolation): boolean {
    if (isolation === 'read_uncommitted' || entry.transaction === undefined) return true;
    return this.transactionStates.get(entry.transaction) === 'committed';
  }

  private partitionsOf(topic: string): PartitionLog[] {
    if (!this.topicLogs.has(topic)) this.createTopic(topic, this.defaultPartitions);
    return this.topicLogs.get(topic) ?? [];
  }

  private partitionLog(tp: TopicPartition): PartitionLog {
    const log = this.partitionsOf(tp.topic)[tp.partition];
    if (log === undefined) throw new KascadeError(ErrorCode.ConfigInvalid, `no partition ${tp.partition} in ${tp.topic}`);
    return log;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function lastStable(log: PartitionLog): bigint {
  let stable = log.entries.length;
  for (const first of log.open.values()) stable = Math.min(stable, first);
  return BigInt(stable);
}
