import type { Admin, Message, Producer } from 'kafkajs';
import { ErrorCode, KascadeError } from '../../errors.js';
import { checkTarget, decideRedrive, type RedriveDecision, type RedrivePolicy } from '../../runtime/dead-letters/redrive.js';
import { RedriveTally } from '../../runtime/dead-letters/redrive-tally.js';
import { createProducer } from '../kafkajs/client.js';
import { connectAdmin, requireTopic, spansAfterGroup } from './dead-letter-topic.js';
import { toMessage } from '../kafkajs/messages.js';
import { MAX_REQUEST_BYTES, recordBytes } from '../produce/request-size.js';
import { readSpans, type PartitionSpan, type TopicRecord } from './topic-reader.js';
import { claimTransactionalId, isProducerFenced } from '../kafkajs/transactional-claim.js';
import { sendOffsetsPatiently } from '../kafkajs/transaction-offsets.js';
import type { OperatorClients } from './operator-clients.js';

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

/** Dead letters decided per chunk: each chunk's redriven records are acknowledged, then its progress committed. */
const CHUNK_RECORDS = 500;

/**
 * Re-injects the selected dead letters of a dead-letter topic, at least once: the topic is read
 * from the group's committed offsets up to its end offsets as of the start; each chunk's records
 * are produced (idempotent, acks=all) and, once acknowledged, the chunk's progress is committed
 * for the group. A crash between the two redrives that chunk again on the next run. Offsets are
 * committed through a transactional producer (TxnOffsetCommit needs no group membership), whose
 * id is the group's: a second redrive of the same group fences the first, which then stops.
 */
export async function runRedrive(clients: OperatorClients, options: RedriveOptions): Promise<RedriveSummary> {
  const { kafka } = clients;
  const started = Date.now();
  const admin = await connectAdmin(kafka, `redrive ${options.topic}`);
  let committer: Producer | undefined;
  let producer: Producer | undefined;
  try {
    await requireTopic(admin, options.topic, 'dead-letter topic');
    if (options.policy.to !== undefined) {
      if (options.policy.to === options.topic) throw new KascadeError(ErrorCode.ConfigInvalid, `--to ${options.policy.to} is the dead-letter topic being read`);
      await requireTopic(admin, options.policy.to, '--to topic');
    }
    await refuseGroupInUse(admin, options.group);
    if (!options.dryRun) {
      // Fences an earlier redrive of this group before its progress is read, so it cannot commit past us.
      committer = createProducer(kafka, { transactionalId: options.group });
      await committer.connect();
      await claimTransactionalId(committer);
      producer = createProducer(kafka);
      await producer.connect();
    }
    const spans = await spansAfterGroup(admin, options.topic, options.group);
    const targets = new TargetTopics(admin);
    const tally = new RedriveTally();
    const writer = producer === undefined || committer === undefined ? undefined : new ChunkWriter(producer, committer, options);
    await readSpans(clients, spans, {
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
    await producer?.disconnect().catch(() => undefined);
    await committer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Committing into a group that consumers are members of would move their positions (e.g. a stage's group named by mistake). */
async function refuseGroupInUse(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) {
    throw new KascadeError(ErrorCode.ConfigInvalid, `group "${groupId}" has ${members} active member(s): it is a consumer group in use, not a redrive's progress; choose another --group`);
  }
}

/** Partition counts of target topics, looked up once each (undefined: no such topic). */
class TargetTopics {
  private readonly known = new Map<string, number | undefined>();
  private existing: Set<string> | undefined;

  constructor(private readonly admin: Admin) {}

  async partitions(topic: string): Promise<number | undefined> {
    if (this.known.has(topic)) return this.known.get(topic);
    // Listed first: metadata for a missing topic could create it on brokers that auto-create topics.
    this.existing ??= new Set(await this.admin.listTopics());
    const partitions = this.existing.has(topic) ? (await this.admin.fetchTopicOffsets(topic)).length : undefined;
    this.known.set(topic, partitions);
    return partitions;
  }
}

/** Collects a chunk of redriven records and the progress they make; writes them, then commits. */
class ChunkWriter {
  private pending: { readonly topic: string; readonly message: Message }[] = [];
  private pendingBytes = 0;
  private decided = 0;
  private readonly progress = new Map<number, bigint>();

  constructor(
    private readonly producer: Producer,
    private readonly committer: Producer,
    private readonly options: RedriveOptions,
  ) {}

  async add(record: TopicRecord, decision: RedriveDecision): Promise<void> {
    if (decision.kind === 'redrive') {
      const redriven = { topic: decision.topic, key: record.key, value: record.value, headers: decision.headers };
      this.pending.push({ topic: decision.topic, message: toMessage(redriven, decision.partition) });
      this.pendingBytes += recordBytes(redriven);
    }
    this.progress.set(record.partition, BigInt(record.offset) + 1n);
    this.decided++;
    if (this.decided >= CHUNK_RECORDS || this.pendingBytes >= MAX_REQUEST_BYTES) await this.flush(new Map());
  }

  /** Produces the pending records, waits for their acknowledgement, then commits the progress (and `ends`). */
  async flush(ends: ReadonlyMap<number, bigint>): Promise<void> {
    for (const [partition, end] of ends) this.progress.set(partition, end);
    const chunk = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.decided = 0;
    if (chunk.length > 0) {
      try {
        await this.producer.sendBatch({ topicMessages: byTopic(chunk) });
      } catch (error) {
        throw this.failure('producing redriven records failed; their dead letters stay uncommitted', error);
      }
    }
    if (this.progress.size === 0) return;
    const partitions = [...this.progress].map(([partition, offset]) => ({ partition, offset: offset.toString() }));
    const transaction = await this.committer.transaction();
    try {
      await sendOffsetsPatiently(transaction, { consumerGroupId: this.options.group, topics: [{ topic: this.options.topic, partitions }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      if (isProducerFenced(error)) {
        throw new KascadeError(ErrorCode.KafkaSendFailed, `another redrive of group ${this.options.group} started and took over; this one stopped (its last chunk may be redriven twice)`, {
          cause: error,
        });
      }
      throw this.failure('committing the progress failed after the records were written', error);
    }
  }

  private failure(what: string, error: unknown): KascadeError {
    return new KascadeError(
      ErrorCode.KafkaSendFailed,
      `redrive of ${this.options.topic}: ${what} (re-run the same command to go on; at worst this chunk is redriven twice): ${error instanceof Error ? error.message : String(error)}`,
      { retriable: true, cause: error },
    );
  }
}

function byTopic(chunk: readonly { readonly topic: string; readonly message: Message }[]): { topic: string; messages: Message[] }[] {
  const grouped = new Map<string, Message[]>();
  for (const { topic, message } of chunk) {
    const messages = grouped.get(topic);
    if (messages === undefined) grouped.set(topic, [message]);
    else messages.push(message);
  }
  return [...grouped].map(([topic, messages]) => ({ topic, messages }));
}
