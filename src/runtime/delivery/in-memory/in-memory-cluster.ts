import { systemClock, type Clock } from '../../clock.js';
import type { Headers, SourceRecord } from '../../record.js';
import { Activity } from './activity.js';
import { InMemoryGroup, type AssignmentStrategy } from './in-memory-group.js';
import { InMemoryLog, type InMemoryLogOptions, type Isolation } from './in-memory-log.js';
import { TransactionCoordinator } from './in-memory-transactions.js';

export interface InMemoryClusterOptions extends InMemoryLogOptions {
  /** How every group of this cluster spreads partitions. Default: range. */
  readonly assignment?: AssignmentStrategy;
  /** Topics to create up front: name -> partition count. */
  readonly topics?: Readonly<Record<string, number>>;
}

/** A record a test writes straight to a topic. */
export interface ProducedRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Headers;
  readonly timestamp?: string;
  /** Default: where the key places it. */
  readonly partition?: number;
}

/**
 * A broker in memory: the topics' logs, the consumer groups and the transaction coordinator that
 * in-memory transports of several stage instances share. Tests also write inputs, read outputs
 * and wait for quiet through it.
 */
export class InMemoryCluster {
  readonly log: InMemoryLog;
  readonly clock: Clock;
  readonly activity = new Activity();
  readonly transactions = new TransactionCoordinator();
  private readonly groups = new Map<string, InMemoryGroup>();
  private readonly assignment: AssignmentStrategy;

  constructor(options: InMemoryClusterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.log = new InMemoryLog(options);
    this.assignment = options.assignment ?? 'range';
    for (const [topic, partitions] of Object.entries(options.topics ?? {})) this.log.createTopic(topic, partitions);
  }

  createTopic(topic: string, partitions: number): void {
    this.log.createTopic(topic, partitions);
  }

  /** Writes records outside any transaction (visible at once), as a plain producer would. */
  produce(topic: string, records: readonly ProducedRecord[]): SourceRecord[] {
    return records.map((record) =>
      this.log.append(
        {
          topic,
          key: typeof record.key === 'string' ? Buffer.from(record.key, 'utf8') : (record.key ?? null),
          value: typeof record.value === 'string' ? Buffer.from(record.value, 'utf8') : record.value,
          headers: record.headers ?? [],
          ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }),
        },
        record.partition === undefined ? {} : { partition: record.partition },
      ),
    );
  }

  /** Every record of a topic in partition then offset order: committed ones by default, or all (pending, aborted). */
  read(topic: string, options: { readonly isolation?: Isolation } = {}): SourceRecord[] {
    return this.log.records(topic, options.isolation ?? 'read_committed');
  }

  /** The coordinator of a consumer group, made on first use. */
  group(groupId: string): InMemoryGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new InMemoryGroup(groupId, this.log, this.activity, this.assignment);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** As if a newer producer took `transactionalId`: its current holder is fenced, its open transaction aborted. */
  fence(transactionalId: string): void {
    this.transactions.init(transactionalId);
  }

  /**
   * Resolves when nothing is in flight: no batch a listener has not finished, no batch waiting to
   * be handed out, no rebalance, send or commit under way. Paused sources and partitions count as quiet.
   */
  async idle(): Promise<void> {
    await this.activity.idle();
  }

  /**
   * Like idle(), but batches a listener still holds do not count: the transport has handed out
   * everything it can and is waiting on listeners (a test holding batches on purpose waits with this).
   */
  async transportIdle(): Promise<void> {
    await this.activity.idle(['transport']);
  }
}
