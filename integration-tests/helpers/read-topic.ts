import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';
import { collect, connection, type ReceivedRecord } from './kafka.js';

const MARKER = 'kascade-test-marker';

/**
 * Every committed record of a topic as of now. Writes a marker record to each partition and
 * reads (read_committed) until every marker arrived: whatever precedes the markers has been
 * read, so counts are exact and duplicates cannot hide behind an early stop.
 */
export async function readAll(kafka: Kafka, topic: string, timeoutMs = 120_000): Promise<ReceivedRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicOffsets(topic)).map((entry) => entry.partition);
  await admin.disconnect();
  const marker = randomUUID();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: partitions.map((partition) => ({ partition, value: null, headers: { [MARKER]: marker } })) });
  await producer.disconnect();

  const collector = await collect(kafka, topic, { readCommitted: true });
  const markers = (records: readonly ReceivedRecord[]): number => records.filter((record) => record.headers[MARKER] === marker).length;
  try {
    await collector.waitUntil((records) => markers(records) === partitions.length, `markers on all ${partitions.length} partitions of ${topic}`, timeoutMs);
  } finally {
    await collector.stop();
  }
  return collector.records.filter((record) => record.headers[MARKER] === undefined);
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
