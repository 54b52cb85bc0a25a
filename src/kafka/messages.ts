import type { KafkaMessage, Message, TopicMessages } from 'kafkajs';
import type { OutgoingRecord, SourceRecord } from '../runtime/record.js';

export function toSourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: message.headers ?? {},
    timestamp: message.timestamp,
  };
}

function toMessage(record: OutgoingRecord): Message {
  return {
    key: record.key,
    value: record.value,
    headers: { ...record.headers },
    ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }),
  };
}

/** Groups records by topic for one produce request, keeping their order within each topic. */
export function toTopicMessages(records: readonly OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic);
    if (messages === undefined) byTopic.set(record.topic, [toMessage(record)]);
    else messages.push(toMessage(record));
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * Keeps produce requests under the broker's default message.max.bytes (1 MiB per partition
 * batch), with room for the batch framing; one request may hold all its bytes in one partition.
 */
export const MAX_REQUEST_BYTES = 768 * 1024;

/** Roughly what a record takes in a record batch: key, value, headers and per-record framing. */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = 24 + (record.value?.length ?? 0) + (record.key === null ? 0 : Buffer.byteLength(record.key));
  for (const [name, value] of Object.entries(record.headers)) bytes += 4 + Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** Consecutive pieces of `records`, each under `maxBytes` (a record larger than that alone in its piece), order kept. */
export function splitBySize(records: readonly OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES): { records: OutgoingRecord[]; bytes: number }[] {
  const pieces: { records: OutgoingRecord[]; bytes: number }[] = [];
  let current: { records: OutgoingRecord[]; bytes: number } = { records: [], bytes: 0 };
  for (const record of records) {
    const bytes = recordBytes(record);
    if (current.records.length > 0 && current.bytes + bytes > maxBytes) {
      pieces.push(current);
      current = { records: [], bytes: 0 };
    }
    current.records.push(record);
    current.bytes += bytes;
  }
  if (current.records.length > 0) pieces.push(current);
  return pieces;
}
