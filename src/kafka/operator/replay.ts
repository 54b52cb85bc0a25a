import { ErrorCode, KascadeError } from '../../errors.js';
import type { PartitionOffset } from '../../runtime/delivery/ports.js';
import { replaceHeaders, type Header, type OutgoingRecord } from '../../runtime/record.js';
import { ClusterAdmin, type CommittedOffset, type KafkaAccess } from '../platformatic/cluster-admin.js';
import { GroupProgressWriter } from './group-progress-writer.js';
import { planSpans, readSpans, type PartitionSpan, type ReadBound, type TopicRecord } from './topic-reader.js';

/** Provenance headers on every replayed record. */
export const ReplayHeader = {
  id: 'kascade.replay.id',
  topic: 'kascade.replay.source-topic',
  partition: 'kascade.replay.source-partition',
  offset: 'kascade.replay.source-offset',
} as const;

/** A record replayed twice (a replay of a replay) says where it came from last. */
const PROVENANCE_NAMES: ReadonlySet<string> = new Set(Object.values(ReplayHeader));

export interface ReplayOptions {
  /** Names the replay: re-running the same id resumes it (and copies nothing twice). */
  readonly id: string;
  readonly source: string;
  readonly destination: string;
  /** Inclusive start; the partition's first offset when absent. */
  readonly from?: ReadBound | undefined;
  /** Exclusive end; the partition's end offset when the replay is planned, when absent. */
  readonly to?: ReadBound | undefined;
  /** Source partitions to copy; all by default. */
  readonly partitions?: readonly number[] | undefined;
  /** Writes each record to its source partition (default); false places records by key hash. */
  readonly keepPartitions: boolean;
  /** Records per second at most. */
  readonly ratePerSecond?: number | undefined;
  /** Counts what would be copied, writes nothing. */
  readonly dryRun: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ReplaySummary {
  readonly id: string;
  /** True when an earlier run of this id had begun: this run went on from where it stopped. */
  readonly resumed: boolean;
  /** Records copied by this run (counted, for a dry run). */
  readonly copied: number;
  /** Records inside the offset spans but timestamped outside [from, to). */
  readonly outsideTime: number;
  /** The planned spans, as first planned. */
  readonly spans: readonly PartitionSpan[];
  readonly elapsedMs: number;
}

/** Records per transaction: bounded memory, and a resume repeats nothing that was committed. */
const TRANSACTION_RECORDS = 500;

/** The plan, kept as offset-commit metadata of the replay's group: one JSON per source partition. */
interface StoredPlan {
  readonly v: 1;
  readonly destination: string;
  readonly start: string;
  readonly end: string;
  readonly fromMs?: number;
  readonly toMs?: number;
}

export function replayGroup(id: string): string {
  return `kascade.replay.${id}`;
}

/**
 * Copies the records of a source topic between two points into a destination topic, exactly:
 * the range is resolved to per-partition offsets once, when the replay is first planned, and
 * the plan is stored as the offset-commit metadata of the replay's own consumer group, so a
 * producer still writing to the source never widens it. Records go out in transactions that
 * also commit the replay's progress (the next source offset per partition); a killed replay
 * leaves at most an open transaction, which the next run with the same id aborts by fencing,
 * and goes on from the committed progress. Readers of the destination must read committed.
 */
export async function runReplay(access: KafkaAccess, options: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  if (options.source === options.destination) throw new KascadeError(ErrorCode.ConfigInvalid, 'a replay cannot write to the topic it reads');
  // A replay still running with the same id is fenced before its progress is read, so it cannot commit past what we resume from.
  const writer = options.dryRun ? undefined : await GroupProgressWriter.open(access, replayGroup(options.id));
  try {
    const plan = await ClusterAdmin.use(access, async (admin) => {
      const loaded = await loadOrPlan(admin, options);
      if (!options.dryRun) await ensureDestination(admin, options, loaded.spans);
      return loaded;
    });
    const remaining = plan.spans.map((span) => ({ ...span, start: (plan.progress.get(span.partition) ?? BigInt(span.start)).toString() }));
    if (writer === undefined) {
      const summary = await readSpans(access, remaining, { onRecord: () => undefined, ...progressOption(options), clientId: 'kascade-replay-count' });
      return { id: options.id, resumed: plan.resumed, copied: summary.records, outsideTime: summary.outsideTime, spans: plan.spans, elapsedMs: Date.now() - started };
    }
    const copier = new ReplayWriter(writer, options, plan.spans);
    if (!plan.resumed) await copier.commitProgress(new Map(plan.spans.map((span) => [span.partition, BigInt(span.start)])));
    const limiter = rateLimiter(options.ratePerSecond);
    const total = remaining.reduce((sum, span) => sum + Number(BigInt(span.end) - BigInt(span.start)), 0);
    let handled = 0;
    const summary = await readSpans(access, remaining, {
      ...progressOption(options),
      clientId: 'kascade-replay-read',
      onRecord: async (record) => {
        await limiter();
        // Fetch batches can be long under a rate limit: progress also moves with each transaction.
        handled++;
        if (await copier.add(record)) options.onProgress?.(handled, total);
      },
    });
    // Every partition ends at its planned end, also those whose last records were outside the time range.
    await copier.finish(new Map(plan.spans.map((span) => [span.partition, BigInt(span.end)])));
    return { id: options.id, resumed: plan.resumed, copied: summary.records, outsideTime: summary.outsideTime, spans: plan.spans, elapsedMs: Date.now() - started };
  } finally {
    await writer?.close();
  }
}

function progressOption(options: ReplayOptions): { onProgress?: (done: number, total: number) => void } {
  return options.onProgress === undefined ? {} : { onProgress: options.onProgress };
}

/** The stored plan of this replay id and its progress, or a new plan of the range. */
async function loadOrPlan(admin: ClusterAdmin, options: ReplayOptions): Promise<{ spans: PartitionSpan[]; progress: Map<number, bigint>; resumed: boolean }> {
  const committed: ReadonlyMap<number, CommittedOffset> = (await admin.groupOffsets(replayGroup(options.id), [options.source])).get(options.source) ?? new Map();
  const stored = [...committed].flatMap(([partition, entry]) => {
    const planned = parsePlan(entry.metadata);
    return planned === undefined ? [] : [{ partition, offset: entry.offset, planned }];
  });
  if (stored.length > 0) {
    const other = stored.find((entry) => entry.planned.destination !== options.destination);
    if (other !== undefined) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `replay "${options.id}" copies ${options.source} to ${other.planned.destination}, not ${options.destination}: use another --id`);
    }
    const spans = stored
      .map(({ partition, planned }) => ({
        topic: options.source,
        partition,
        start: planned.start,
        end: planned.end,
        ...(planned.fromMs === undefined ? {} : { fromMs: planned.fromMs }),
        ...(planned.toMs === undefined ? {} : { toMs: planned.toMs }),
      }))
      .sort((a, b) => a.partition - b.partition);
    return { spans, progress: new Map(stored.map((entry) => [entry.partition, entry.offset])), resumed: true };
  }
  let spans = await planSpans(admin, [{ topic: options.source, from: options.from, to: options.to }]);
  if (options.partitions !== undefined) {
    const known = new Set(spans.map((span) => span.partition));
    const unknown = options.partitions.filter((partition) => !known.has(partition));
    if (unknown.length > 0) throw new KascadeError(ErrorCode.ConfigInvalid, `topic "${options.source}" has no partition ${unknown.join(', ')} (it has ${known.size})`);
    const wanted = new Set(options.partitions);
    spans = spans.filter((span) => wanted.has(span.partition));
  }
  return { spans, progress: new Map(), resumed: false };
}

function parsePlan(metadata: string | null): StoredPlan | undefined {
  if (metadata === null || !metadata.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(metadata) as Partial<StoredPlan>;
    return parsed.v === 1 && typeof parsed.destination === 'string' && typeof parsed.start === 'string' && typeof parsed.end === 'string' ? (parsed as StoredPlan) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the destination like the source when missing; with kept partitions it needs at least as many. */
async function ensureDestination(admin: ClusterAdmin, options: ReplayOptions, spans: readonly PartitionSpan[]): Promise<void> {
  const counts = await admin.partitionCounts([options.source, options.destination]);
  const destinationPartitions = counts.get(options.destination);
  if (destinationPartitions === undefined) {
    await admin.createTopics([{ topic: options.destination, partitions: counts.get(options.source) ?? 1 }]);
    return;
  }
  if (!options.keepPartitions) return;
  const highest = Math.max(-1, ...spans.map((span) => span.partition));
  if (highest >= destinationPartitions) {
    throw new KascadeError(
      ErrorCode.ConfigInvalid,
      `${options.destination} has ${destinationPartitions} partitions but records of ${options.source} partition ${highest} keep their partition: add partitions, or use --repartition`,
    );
  }
}

/** Buffers copied records and writes them, with the progress they make, one transaction at a time. */
class ReplayWriter {
  private pending: OutgoingRecord[] = [];
  private readonly progress = new Map<number, bigint>();
  private readonly plans: Map<number, string>;

  constructor(
    private readonly writer: GroupProgressWriter,
    private readonly options: ReplayOptions,
    spans: readonly PartitionSpan[],
  ) {
    this.plans = new Map(
      spans.map((span) => {
        const plan: StoredPlan = {
          v: 1,
          destination: options.destination,
          start: span.start,
          end: span.end,
          ...(span.fromMs === undefined ? {} : { fromMs: span.fromMs }),
          ...(span.toMs === undefined ? {} : { toMs: span.toMs }),
        };
        return [span.partition, JSON.stringify(plan)];
      }),
    );
  }

  /** Buffers one record; true when that completed a transaction. */
  async add(record: TopicRecord): Promise<boolean> {
    this.pending.push({
      topic: this.options.destination,
      key: record.key,
      value: record.value,
      timestamp: String(record.timestamp),
      headers: replaceHeaders(record.headers, PROVENANCE_NAMES, this.provenance(record)),
      ...(this.options.keepPartitions ? { partition: record.partition } : {}),
    });
    this.progress.set(record.partition, BigInt(record.offset) + 1n);
    if (this.pending.length < TRANSACTION_RECORDS) return false;
    await this.commitProgress(this.progress);
    return true;
  }

  async finish(ends: ReadonlyMap<number, bigint>): Promise<void> {
    for (const [partition, end] of ends) this.progress.set(partition, end);
    await this.commitProgress(this.progress);
  }

  /** One transaction: the pending records and the next source offset of each partition given, with its plan. */
  async commitProgress(progress: ReadonlyMap<number, bigint>): Promise<void> {
    const records = this.pending;
    this.pending = [];
    const offsets: PartitionOffset[] = [...progress].map(([partition, offset]) => ({
      topic: this.options.source,
      partition,
      offset: offset.toString(),
      ...(this.plans.has(partition) ? { metadata: this.plans.get(partition) } : {}),
    }));
    try {
      await this.writer.commit(records, offsets);
    } catch (error) {
      throw new KascadeError(ErrorCode.KafkaSendFailed, `replay ${this.options.id}: a transaction failed (re-run the same command to resume): ${error instanceof Error ? error.message : String(error)}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  private provenance(record: TopicRecord): Header[] {
    return [
      [ReplayHeader.id, this.options.id],
      [ReplayHeader.topic, record.topic],
      [ReplayHeader.partition, String(record.partition)],
      [ReplayHeader.offset, record.offset],
    ];
  }
}

/** Waits as needed so that calls come at most `perSecond` a second (none when undefined). */
function rateLimiter(perSecond: number | undefined): () => Promise<void> {
  if (perSecond === undefined) return () => Promise.resolve();
  const interval = 1000 / perSecond;
  let next = Date.now();
  return async () => {
    const now = Date.now();
    next = Math.max(next, now - 1000) + interval;
    if (next > now) await new Promise((resolve) => setTimeout(resolve, next - now));
  };
}
