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
