import type { Kafka } from 'kafkajs';
import { toMessage } from '../../src/kafka/messages.js';
import type { Headers } from '../../src/runtime/record.js';

/** A record as another team's producer may write it: any key bytes, any headers (null values, repeats), any value bytes. */
export interface RawInput {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly partition?: number;
  readonly timestamp?: string;
}

/** Produces records byte for byte as given (headers in order, repeats and null values kept), acks=all. */
export async function produceRaw(kafka: Kafka, topic: string, records: readonly RawInput[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < records.length; start += 500) {
      const messages = records.slice(start, start + 500).map((record) => {
        const outgoing = { topic, key: record.key, value: record.value, headers: record.headers, ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }) };
        return toMessage(outgoing, record.partition);
      });
      await producer.send({ topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}
