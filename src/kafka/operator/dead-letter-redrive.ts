import { ErrorCode, KascadeError } from '../../errors.js';
import { OwnershipLostError } from '../../runtime/delivery/ownership-lost.js';
import { checkTarget, decideRedrive, type RedriveDecision, type RedrivePolicy } from '../../runtime/dead-letters/redrive.js';
import { RedriveTally } from '../../runtime/dead-letters/redrive-tally.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import { ClusterAdmin, type KafkaAccess } from '../platformatic/cluster-admin.js';
import { MAX_REQUEST_BYTES, recordBytes } from '../produce/request-size.js';
import { requireTopic, spansAfterGroup } from './dead-letter-topic.js';
import { GroupProgressWriter } from './group-progress-writer.js';
import { readSpans, type PartitionSpan, type TopicRecord } from './topic-reader.js';

export interface RedriveOptions {
  /** The dead-letter topic to read. */
  readonly topic: string;
  /** The group whose committed offsets hold the progress (see redriveGroup). */
  readonly group: string;
  readonly policy: RedrivePolicy;
  /** Reads and decides, produces and commits nothing. */
  readonly dryRun: boolean;
  readonly onProgress?: (read: number, total: number) => void;
}

export interface RedriveSummary {
  readonly tally: RedriveTally;
  /** What was read: from the group's committed offsets to the end offsets at the start. */
  readonly spans: readonly PartitionSpan[];
  readonly elapsedMs: number;
}

/** Dead letters decided per transaction: bounded memory, and a resume repeats nothing committed. */
const CHUNK_RECORDS = 500;

/**
 * Re-injects the selected dead letters of a dead-letter topic: the topic is read from the
 * group's committed offsets up to its end offsets as of the start; each chunk's redriven records
 * and the group's progress past them go out in one transaction (GroupProgressWriter), so a
 * redrive stopped anywhere and run again redrives nothing twice for read_committed readers. A
 * second redrive of the same group fences the first, which then stops.
 */
export async function runRedrive(access: KafkaAccess, options: RedriveOptions): Promise<RedriveSummary> {
  const started = Date.now();
  return ClusterAdmin.use(access, async (admin) => {
    await requireTopic(admin, options.topic, 'dead-letter topic');
    if (options.policy.to !== undefined) {
      if (options.policy.to === options.topic) throw new KascadeError(ErrorCode.ConfigInvalid, `--to ${options.policy.to} is the dead-letter topic being read`);
      await requireTopic(admin, options.policy.to, '--to topic');
    }
    await refuseGroupInUse(admin, options.group);
    // Fences an earlier redrive of this group before its progress is read, so it cannot commit past us.
    const progress = options.dryRun ? undefined : await GroupProgressWriter.open(access, options.group);
    try {
      const spans = await spansAfterGroup(admin, options.topic, options.group);
      const targets = new TargetTopics(admin);
      const tally = new RedriveTally();
      const writer = progress === undefined ? undefined : new ChunkWriter(progress, options);
      await readSpans(access, spans, {
        clientId: 'kascade-dlq-read',
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        onRecord: async (record) => {
          let decision = decideRedrive(record, options.policy);
          if (decision.kind === 'redrive') decision = checkTarget(decision, await targets.partitions(decision.topic), options.topic);
          tally.add(record, decision);
          await writer?.add(record, decision);
        },
      });
      // Every partition ends at its end offset, also past trailing transaction markers or aborted records.
      await writer?.flush(new Map(spans.map((span) => [span.partition, BigInt(span.end)])));
      return { tally, spans, elapsedMs: Date.now() - started };
    } finally {
      await progress?.close();
    }
  });
}

/** Committing into a group that consumers are members of would move their positions (e.g. a stage's group named by mistake). */
async function refuseGroupInUse(admin: ClusterAdmin, groupId: string): Promise<void> {
  const members = await admin.groupMembers(groupId);
  if (members > 0) {
    throw new KascadeError(ErrorCode.ConfigInvalid, `group "${groupId}" has ${members} active member(s): it is a consumer group in use, not a redrive's progress; choose another --group`);
  }
}

/** Partition counts of target topics, looked up once each (undefined: no such topic). */
class TargetTopics {
  private readonly known = new Map<string, number | undefined>();
  private existing: Set<string> | undefined;

  constructor(private readonly admin: ClusterAdmin) {}

  async partitions(topic: string): Promise<number | undefined> {
    if (this.known.has(topic)) return this.known.get(topic);
    // Listed first: metadata for a missing topic could create it on brokers that auto-create topics.
    this.existing ??= await this.admin.topicNames();
    const partitions = this.existing.has(topic) ? (await this.admin.partitionCounts([topic])).get(topic) : undefined;
    this.known.set(topic, partitions);
    return partitions;
  }
}

/** Collects a chunk of redriven records and the progress they make; writes both in one transaction. */
class ChunkWriter {
  private pending: OutgoingRecord[] = [];
  private pendingBytes = 0;
  private decided = 0;
  private readonly progress = new Map<number, bigint>();

  constructor(
    private readonly writer: GroupProgressWriter,
    private readonly options: RedriveOptions,
  ) {}

  async add(record: TopicRecord, decision: RedriveDecision): Promise<void> {
    if (decision.kind === 'redrive') {
      const redriven = { topic: decision.topic, key: record.key, value: record.value, headers: decision.headers, partition: decision.partition };
      this.pending.push(redriven);
      this.pendingBytes += recordBytes(redriven);
    }
    this.progress.set(record.partition, BigInt(record.offset) + 1n);
    this.decided++;
    if (this.decided >= CHUNK_RECORDS || this.pendingBytes >= MAX_REQUEST_BYTES) await this.flush(new Map());
  }

  /** Writes the pending records and the progress (and `ends`) in one transaction. */
  async flush(ends: ReadonlyMap<number, bigint>): Promise<void> {
    for (const [partition, end] of ends) this.progress.set(partition, end);
    const chunk = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.decided = 0;
    if (chunk.length === 0 && this.progress.size === 0) return;
    const offsets = [...this.progress].map(([partition, offset]) => ({ topic: this.options.topic, partition, offset: offset.toString() }));
    try {
      await this.writer.commit(chunk, offsets);
    } catch (error) {
      if (error instanceof OwnershipLostError) {
        throw new KascadeError(ErrorCode.KafkaSendFailed, `another redrive of group ${this.options.group} started and took over; this one stopped`, { cause: error });
      }
      throw new KascadeError(
        ErrorCode.KafkaSendFailed,
        `redrive of ${this.options.topic}: a transaction failed; its records and its progress landed together or not at all (re-run the same command to go on from the committed progress): ${error instanceof Error ? error.message : String(error)}`,
        { retriable: true, cause: error },
      );
    }
  }
}
