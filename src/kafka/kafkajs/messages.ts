import type { KafkaMessage, Message, TopicMessages } from 'kafkajs';
import type { Headers, OutgoingRecord, SourceRecord } from '../../runtime/record.js';
import { headersFromObject, headersToObject } from './headers.js';

export function toSourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: headersOf(message),
    timestamp: message.timestamp,
  };
}

/**
 * A fetched record's headers from kafkajs's headers object: each name's values in order, null
 * values kept, a name's repeats together (the order across names is not kept by kafkajs).
 */
export function headersOf(message: KafkaMessage): Headers {
  return headersFromObject(message.headers);
}

/**
 * The kafkajs message of a record, built the stock way: headers as kafkajs's object (see
 * headersToObject: repeats as arrays, null values left out); `partition` places it explicitly.
 */
export function toMessage(record: OutgoingRecord, partition?: number): Message {
  const message: Message = { key: record.key, value: record.value, headers: headersToObject(record.headers) };
  if (record.timestamp !== undefined) message.timestamp = record.timestamp;
  const placed = partition ?? record.partition;
  if (placed !== undefined) message.partition = placed;
  return message;
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
