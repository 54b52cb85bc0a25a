import { randomUUID } from 'node:crypto';
import type { Kafka, RecordMetadata } from 'kafkajs';
import type { ConnectionSettings } from '../../src/config/connection.js';
import { readSpans, type PartitionSpan } from '../../src/kafka/operator/topic-reader.js';
import { askAgain } from './ask-again.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';
import { collect, connection, receivedRecord, type ReceivedRecord } from './kafka.js';

const MARKER = 'kascade-test-marker';

/**
 * Every committed record of a topic as of now. Writes a marker record to each partition and
 * reads (read_committed) through the markers: whatever precedes them has been read, so counts
 * are exact and duplicates cannot hide behind an early stop.
 */
export async function readAll(kafka: Kafka, topic: string, timeoutMs = 120_000): Promise<ReceivedRecord[]> {
  const { records, markersSeen } = await readThroughMarkers(kafka, topic, { idleTimeoutMs: timeoutMs });
  if (!markersSeen) throw new Error(`the markers written to ${topic} were not all read within ${timeoutMs} ms`);
  return records;
}

/**
 * Writes a marker to every partition of `topic` and reads every committed record before them. A
 * transaction still open holds the read back until it closes, for up to `idleTimeoutMs`;
 * `markersSeen` is false when the read ended before every marker (what it read is returned).
 */
export async function readThroughMarkers(
  kafka: Kafka,
  topic: string,
  options: { connection?: ConnectionSettings; idleTimeoutMs: number },
): Promise<{ records: ReceivedRecord[]; markersSeen: boolean }> {
  const low = await askAgain(`the partitions of ${topic}`, async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, entry.low]));
    } finally {
      await admin.disconnect();
    }
  });
  const marker = randomUUID();
  const producer = kafka.producer();
  await producer.connect();
  let written: RecordMetadata[];
  try {
    written = await producer.send({ topic, messages: [...low.keys()].map((partition) => ({ partition, value: null, headers: { [MARKER]: marker } })) });
  } finally {
    await producer.disconnect();
  }
  const spans: PartitionSpan[] = written.map((entry) => ({ topic, partition: entry.partition, start: low.get(entry.partition) ?? '0', end: (BigInt(entry.baseOffset ?? '0') + 1n).toString() }));
  const records: ReceivedRecord[] = [];
  const clients = { connection: options.connection ?? connection, clientId: 'kascade-test-verifier' };
  await readSpans(clients, spans, { onRecord: (record) => void records.push(receivedRecord(record)), idleTimeoutMs: options.idleTimeoutMs }).catch(() => undefined);
  const markersSeen = records.filter((record) => record.headers[MARKER] === marker).length === spans.length;
  return { records: records.filter((record) => record.headers[MARKER] === undefined), markersSeen };
}

/** Waits for at least `count` records (read_committed), for progress checks mid-run. */
export async function waitForRecords(kafka: Kafka, topic: string, count: number, timeoutMs = 120_000): Promise<void> {
  const collector = await collect(kafka, topic, { readCommitted: true });
  try {
    await collector.waitForCount(count, timeoutMs);
  } finally {
    await collector.stop();
  }
}

export async function decodeAvro<T>(records: readonly ReceivedRecord[]): Promise<T[]> {
  const registry = createSchemaRegistry(connection);
  return Promise.all(records.map(async (record) => (await registry.decode(record.value!)) as T));
}

/** Ids seen more than once, ids expected but missing, ids not expected. */
export function tally(expected: readonly string[], seen: readonly string[]): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  const expectedSet = new Set(expected);
  return {
    missing: expected.filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([, count]) => count > 1).map(([id]) => id),
    unexpected: [...counts.keys()].filter((id) => !expectedSet.has(id)),
  };
}
