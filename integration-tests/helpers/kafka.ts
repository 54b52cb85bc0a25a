import { randomUUID } from 'node:crypto';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import type { KafkaAccess } from '../../src/kafka/platformatic/cluster-admin.js';
import { connectionFromEnv, type ConnectionSettings } from '../../src/config/connection.js';
import { createKafka } from '../../src/kafka/kafkajs/client.js';
import { headersOf } from '../../src/kafka/kafkajs/messages.js';
import { decodeHeaders, type Headers } from '../../src/runtime/record.js';
import { waitFor } from './wait-for.js';
import { PlatformaticRecordSource } from '../../src/kafka/platformatic/platformatic-record-source.js';
import type { TopicRecord } from '../../src/kafka/operator/topic-reader.js';

/** kafkajs's consumer waits for a topic that does not exist yet; kascade's record source would fail. */
async function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * What a read_committed reader sees, with every header exactly as written (in order, repeats and
 * null values kept): kascade's @platformatic/kafka record source, which drops the records of
 * aborted transactions as the Java consumer does (read-committed.test.ts shows it on the broker).
 */
async function collectCommitted(topic: string, settings: ConnectionSettings): Promise<Collector> {
  const records: ReceivedRecord[] = [];
  const source = new PlatformaticRecordSource({ connection: settings, clientId: 'kascade-test-collect', groupId: uniqueName('group'), topics: [topic] });
  await source.start({
    batch: (batch) => {
      for (const record of batch.records) records.push(receivedRecord(record));
      return Promise.resolve();
    },
    assigned: () => undefined,
    revoking: () => Promise.resolve(),
    lost: () => undefined,
    failed: () => undefined,
  });
  return {
    records,
    waitForCount: (count, timeoutMs) =>
      waitFor(() => records.length >= count, { what: () => `${count} records on ${topic} (have ${records.length})`, timeoutMs: timeoutMs ?? 30_000 }),
    waitUntil: (predicate, what, timeoutMs) => waitFor(() => predicate(records), { what, timeoutMs: timeoutMs ?? 30_000 }),
    stop: () => source.stop(),
  };
}

/** The cluster the tests run against: KAFKA_BROKERS, as a user's stage would see it. */
export const connection = connectionFromEnv();

/** What kascade's admin steps and topic readers connect with, in tests. */
export const testAccess: KafkaAccess = { connection, clientId: 'kascade-test' };

export function testKafka(name: string): Kafka {
  return createKafka(connection, { clientId: `kascade-test-${name}`, logLevel: 'error', connectionTimeoutMs: 5000 });
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    if (!created) throw new Error(`topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
}

export interface ReceivedRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly keyBytes: Buffer | null;
  readonly value: Buffer | null;
  /** The first non-null value of each header, as text. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every header as written: in order, repeats and null values kept. */
  readonly headerList: Headers;
  readonly timestamp: string;
}

/** A record read by kascade (its topic reader or a record source), as the tests look at records. */
export function receivedRecord(record: Omit<TopicRecord, 'topic' | 'timestamp'> & { readonly timestamp: number | string }): ReceivedRecord {
  return {
    partition: record.partition,
    offset: record.offset,
    key: record.key?.toString('utf8') ?? null,
    keyBytes: record.key,
    value: record.value,
    headers: decodeHeaders(record.headers),
    headerList: record.headers,
    timestamp: String(record.timestamp),
  };
}

export interface Collector {
  readonly records: ReceivedRecord[];
  /** Resolves once at least `count` records arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `predicate` holds for the records so far. */
  waitUntil(predicate: (records: readonly ReceivedRecord[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Every record of `topic` from the beginning, as it arrives, under a fresh group. read_committed
 * (the default) keeps headers exactly as written (see collectCommitted); read_uncommitted readers
 * use stock kafkajs, which groups a name's repeats and loses the order across names.
 */
export async function collect(kafka: Kafka, topic: string, options: { readCommitted?: boolean; connection?: ConnectionSettings } = {}): Promise<Collector> {
  if (options.readCommitted !== false && (await topicExists(kafka, topic))) return collectCommitted(topic, options.connection ?? connection);
  return collectWithKafkajs(kafka, topic, options.readCommitted !== false);
}

async function collectWithKafkajs(kafka: Kafka, topic: string, readCommitted: boolean): Promise<Collector> {
  const consumer: Consumer = kafka.consumer({
    groupId: uniqueName('group'),
    readUncommitted: !readCommitted,
    maxWaitTimeInMs: 100,
  });
  const records: ReceivedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }: EachMessagePayload) => {
      const headerList = headersOf(message);
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        keyBytes: message.key ?? null,
        value: message.value,
        headers: decodeHeaders(headerList),
        headerList,
        timestamp: message.timestamp,
      });
      return Promise.resolve();
    },
  });
  return {
    records,
    waitForCount: (count, timeoutMs) =>
      waitFor(() => records.length >= count, { what: () => `${count} records on ${topic} (have ${records.length})`, timeoutMs: timeoutMs ?? 30_000 }),
    waitUntil: (predicate, what, timeoutMs) => waitFor(() => predicate(records), { what, timeoutMs: timeoutMs ?? 30_000 }),
    stop: () => consumer.disconnect(),
  };
}
