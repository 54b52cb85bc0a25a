import type { OutgoingRecord, SourceRecord } from '../record.js';

/**
 * The three small ports the delivery engine stands on. A Kafka client adapter (src/kafka)
 * implements them; so does the in-memory transport the test driver and the engine's own tests
 * use. No client type crosses them: records are kascade records, errors are kascade errors.
 */

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The next offset to read of a partition (one past the last record done), as a decimal string. */
export interface PartitionOffset extends TopicPartition {
  readonly offset: string;
  /** Kept with the committed offset (e.g. a replay's plan); none for a stage's commits. */
  readonly metadata?: string | undefined;
}

/** Consecutive records of one partition, in offset order, as fetched. */
export interface SourceBatch extends TopicPartition {
  readonly records: readonly SourceRecord[];
  /** The partition's high watermark when fetched (for lag); undefined when the client does not say. */
  readonly highWatermark?: string | undefined;
}

/** What a record source tells the engine. Callbacks must not throw; the engine reports its own failures elsewhere. */
export interface SourceListener {
  /**
   * Records fetched. The source hands the same partition no further batch until the returned
   * promise resolves: that is the engine's backpressure. Other partitions go on meanwhile.
   */
  batch(batch: SourceBatch): Promise<void>;
  /** Partitions this member now owns. Their records start at the group's committed offsets, or where resumeFrom said. */
  assigned(partitions: readonly TopicPartition[]): void;
  /**
   * Called with the group's committed offsets (`topic/partition` keys) of partitions just
   * assigned, before their records are read. Answers the partitions that start later: where
   * this member had written their records already before losing them with the commit unlanded
   * (at-least-once: a session that expired during a broker pause), after committing that offset.
   */
  resumeFrom?(partitions: readonly TopicPartition[], committed: ReadonlyMap<string, bigint>): Promise<ReadonlyMap<string, bigint>>;
  /**
   * Partitions about to be given up in an orderly rebalance. The source waits for the promise
   * before it lets them go, so the engine finishes and commits their work first (no duplicates).
   */
  revoking(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Partitions taken away without a chance to commit (session expired, member fenced, kafkajs's
   * eager rebalance): work on them stops, and nothing more is committed for them.
   */
  lost(partitions: readonly TopicPartition[]): void;
  /** The source cannot go on (its client gave up); the stage fails with this error. */
  failed(error: Error): void;
}

/** A consumer group member's identity, carried by transactional offset commits (KIP-447 fencing). */
export interface GroupMember {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly groupInstanceId?: string | undefined;
}

/** Whether a source is in its group now, and since when it has been out (for the watchdog and /readyz). */
export interface Membership {
  readonly inGroup: boolean;
  /** Milliseconds since the epoch at which the member last joined or left. */
  readonly since: number;
  readonly member?: GroupMember | undefined;
}

/** Records of the partitions a consumer group assigns, pushed to a listener. */
export interface RecordSource {
  /** Joins the group and starts fetching; resolves once the first assignment arrived. */
  start(listener: SourceListener): Promise<void>;
  /** Stops fetching every assigned partition (an outage: no work piles up), until resume(). */
  pause(): void;
  resume(): void;
  membership(): Membership;
  /**
   * The engine learned that these partitions are not this member's any more (a commit or a
   * transaction was refused). A source that would not learn it from its group protocol joins
   * the group again; the listener then sees them lost or assigned anew.
   */
  ownershipLost(partitions: readonly TopicPartition[]): void;
  /**
   * Drops the client and makes a new one that joins the group again (the watchdog's first
   * remedy for a stuck client). The listener sees the partitions as lost, then assigned anew.
   */
  restart(): Promise<void>;
  /** Leaves the group (after the listener's `revoking` for what it owns) and disconnects. Idempotent. */
  stop(): Promise<void>;
}

/** Committed consumer offsets of the stage's group. */
export interface OffsetLog {
  /**
   * Commits next offsets to read. Throws OwnershipLostError when the group no longer lets this
   * member commit them (a rebalance moved on), a retriable KascadeError otherwise.
   */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /**
   * The group's committed offsets, waiting for transactions that are about to move them
   * (requireStable); a partition without one is absent.
   */
  committed(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint>>;
}

/** Writes records with acks from every in-sync replica; resolves once they are acknowledged. */
export interface OutputSink {
  send(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** One Kafka transaction: records and the input offsets they finish, committed together or not at all. */
export interface OutputTransaction {
  send(records: readonly OutgoingRecord[]): Promise<void>;
  /** Adds the offsets to the transaction for `member`'s group (KIP-447: the broker checks the generation) and commits. */
  commit(offsets: readonly PartitionOffset[], member: GroupMember): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Transactional producing. Scope `instance` (KIP-447 clients): one producer for the stage
 * instance, one transaction open at a time, spanning the chunks of every partition. Scope
 * `partition` (clients without KIP-447, which fence zombies with a transactional id per input
 * partition): each transaction holds the chunk of one input partition, named to `begin`, and
 * transactions of different partitions may be open at once. `begin` throws OwnershipLostError
 * when the producer was fenced.
 */
export interface TransactionalSink {
  readonly scope: 'instance' | 'partition';
  begin(chunk?: ChunkScope): Promise<OutputTransaction>;
  close(): Promise<void>;
}

/** The input partition and first input offset of a partition-scoped transaction's chunk. */
export interface ChunkScope extends TopicPartition {
  readonly from: string;
}

/** The ports one stage instance runs on. */
export interface StageTransport {
  readonly source: RecordSource;
  readonly offsets: OffsetLog;
  /** Present for at-least-once stages. */
  readonly sink?: OutputSink | undefined;
  /** Present for exactly-once stages. */
  readonly transactions?: TransactionalSink | undefined;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** The partition a `partitionKey` names (topic names may contain '/', partitions never do). */
export function partitionOfKey(key: string): TopicPartition {
  const slash = key.lastIndexOf('/');
  return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)) };
}
