import type { Kafka } from 'kafkajs';
import type { ConnectionSettings } from '../../src/config/connection.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';
import type { ReceivedRecord } from '../helpers/kafka.js';
import { readThroughMarkers } from '../helpers/read-topic.js';

/** One stage as the verifier sees it: what it read, what it wrote, where its bad records went. */
export interface StageTopics {
  readonly stage: string;
  readonly input: string;
  readonly output: string;
  readonly deadLetters: string;
}

/** What the checker found for one stage. Ids are listed in full: a failing test shows which. */
export interface StageVerdict {
  readonly stage: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly deadLettered: number;
  readonly missing: readonly string[];
  /** Ids written (output or dead letter) more often than they were read. */
  readonly duplicated: readonly string[];
  /** Ids in the output that were never in the input. */
  readonly unexpected: readonly string[];
  /** Keys whose outputs (first occurrences) are not in the order of their sequence numbers. */
  readonly orderViolations: readonly string[];
  /** Every output and dead-letter partition showed a marker written after the run to read_committed readers. */
  readonly transactionsClosed: boolean;
}

interface Identified {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
}

/**
 * The checker of the reliability suite. Reads a stage's input, output and dead-letter topics to
 * their end (read_committed: what a downstream exactly-once reader sees) and compares ids.
 * "To their end" is exact: a marker is written to every partition after the run and reading
 * stops once every marker arrived; a transaction left open would hold the markers back, so
 * their arrival also proves no transaction was left open.
 */
export class Verifier {
  private readonly registry;

  constructor(
    private readonly kafka: Kafka,
    private readonly connection: ConnectionSettings,
    private readonly markerTimeoutMs = 30_000,
  ) {
    this.registry = createSchemaRegistry(connection);
  }

  async verify(topics: StageTopics): Promise<StageVerdict> {
    const [input, output, deadLetters] = await Promise.all([this.read(topics.input), this.read(topics.output), this.read(topics.deadLetters)]);
    const [inputEvents, outputEvents, deadEvents] = await Promise.all([this.decode(input.records), this.decode(output.records), this.decode(deadLetters.records)]);
    const expected = countIds(inputEvents);
    const written = countIds([...outputEvents, ...deadEvents]);
    const missing = [...expected.keys()].filter((id) => !written.has(id));
    const duplicated = [...written].filter(([id, count]) => count > (expected.get(id) ?? 0) && expected.has(id)).map(([id]) => id);
    const unexpected = [...written.keys()].filter((id) => !expected.has(id));
    return {
      stage: topics.stage,
      inputs: inputEvents.length,
      outputs: outputEvents.length,
      deadLettered: deadEvents.length,
      missing,
      duplicated,
      unexpected,
      orderViolations: orderViolations(output.records, outputEvents),
      transactionsClosed: output.markersSeen && deadLetters.markersSeen,
    };
  }

  /** Every record of `topic` up to markers written now; `markersSeen` false if some never became visible. */
  private read(topic: string): Promise<{ records: ReceivedRecord[]; markersSeen: boolean }> {
    return readThroughMarkers(this.kafka, topic, { connection: this.connection, idleTimeoutMs: this.markerTimeoutMs });
  }

  private decode(records: readonly ReceivedRecord[]): Promise<Identified[]> {
    return Promise.all(
      records.map(async (record) => {
        if (record.value === null) throw new Error(`a record without a value at offset ${record.offset}`);
        const value = (await this.registry.decode(record.value)) as Partial<Identified>;
        if (typeof value.id !== 'string' || typeof value.key !== 'string' || typeof value.seq !== 'number') {
          throw new Error(`record at partition ${record.partition} offset ${record.offset} lacks id/key/seq`);
        }
        return { id: value.id, key: value.key, seq: value.seq };
      }),
    );
  }
}

function countIds(events: readonly Identified[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { id } of events) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/**
 * Per key, the first occurrence of each sequence number must come in increasing order. Replays
 * after a crash repeat a stretch (5 6 7 5 6 7 8): allowed at-least-once, and not a reordering.
 */
export function orderViolations(records: readonly Pick<ReceivedRecord, 'partition' | 'offset'>[], events: readonly Identified[]): string[] {
  const order = records.map((record, index) => ({ partition: record.partition, offset: BigInt(record.offset), event: events[index]! }));
  order.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  const lastSeq = new Map<string, number>();
  const seen = new Set<string>();
  const violating = new Set<string>();
  for (const { event } of order) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const last = lastSeq.get(event.key);
    if (last !== undefined && event.seq < last) violating.add(event.key);
    lastSeq.set(event.key, Math.max(last ?? -1, event.seq));
  }
  return [...violating];
}

/** One line per stage for the test's diagnostics and the closing note. */
export function formatVerdict(verdict: StageVerdict): string {
  return (
    `${verdict.stage}: ${verdict.inputs} in, ${verdict.outputs} out, ${verdict.deadLettered} dead-lettered; ` +
    `missing ${verdict.missing.length}, duplicated ${verdict.duplicated.length}, unexpected ${verdict.unexpected.length}, ` +
    `order violations ${verdict.orderViolations.length}, transactions closed ${String(verdict.transactionsClosed)}`
  );
}
