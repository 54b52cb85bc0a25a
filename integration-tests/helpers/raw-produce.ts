import { Producer } from '@platformatic/kafka';
import { platformaticBaseOptions } from '../../src/kafka/platformatic/platformatic-connection.js';
import { javaKeyPartitioner } from '../../src/kafka/platformatic/platformatic-placement.js';
import { rawSerializers, toOutgoingMessage, type RawProducer } from '../../src/kafka/platformatic/platformatic-records.js';
import type { Headers } from '../../src/runtime/record.js';
import { connection, testKafka } from './kafka.js';
import { toMessage } from '../../src/kafka/kafkajs/messages.js';

/** A record as another team's producer may write it: any key bytes, any headers (null values, repeats), any value bytes. */
export interface RawInput {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly partition?: number;
  readonly timestamp?: string;
}

/**
 * Produces records byte for byte as given (headers in order, repeats and null values kept),
 * acks=all, keyed records placed as the Java client places them. Written with @platformatic/kafka:
 * stock kafkajs cannot write a null header value nor keep header order across names.
 */
export async function produceRaw(topic: string, records: readonly RawInput[]): Promise<void> {
  // @platformatic/kafka 1.35 writes batches the broker refuses (UNKNOWN_SERVER_ERROR) for
  // timestamps far from now (2^53 ms, -8.64e15 ms); stock kafkajs writes those few.
  const far = records.filter((record) => record.timestamp !== undefined && (BigInt(record.timestamp) > FAR_FUTURE || BigInt(record.timestamp) < -1n));
  if (far.length > 0) await produceWithKafkajs(topic, far);
  const near = records.filter((record) => !far.includes(record));
  if (near.length === 0) return;
  const producer: RawProducer = new Producer({ ...platformaticBaseOptions(connection, { clientId: 'kascade-test-raw' }), idempotent: true, acks: -1, serializers: rawSerializers });
  try {
    const metadata = await producer.metadata({ topics: [topic] });
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 1;
    for (const run of narrowRuns(near)) {
      const messages = run.map((record) => {
        const outgoing = { topic, key: record.key, value: record.value, headers: record.headers, ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }) };
        const partition = record.partition ?? (record.key === null ? undefined : javaKeyPartitioner(topic, record.key, partitions));
        return toOutgoingMessage(outgoing, partition);
      });
      await sendPatiently(() => producer.send({ messages }));
    }
  } finally {
    await producer.close();
  }
}

const FAR_FUTURE = BigInt(Date.now()) + 10n * 365n * 86_400_000n;

async function produceWithKafkajs(topic: string, records: readonly RawInput[]): Promise<void> {
  const producer = testKafka('raw-produce').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = records.map((record) => toMessage({ topic, key: record.key, value: record.value, headers: record.headers, ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }) }, record.partition));
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** A topic created a moment ago may have no leader yet: the send is tried again for up to 30 s. */
async function sendPatiently(send: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await send();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Consecutive runs of at most 500 records whose timestamps lie within 2^31 ms of each other:
 * @platformatic/kafka 1.35 writes a batch the broker refuses when its records' timestamps
 * span more (to propose upstream: the timestamp delta looks encoded as a 32-bit varint).
 */
function narrowRuns(records: readonly RawInput[]): RawInput[][] {
  const runs: RawInput[][] = [];
  let current: RawInput[] = [];
  let low = 0n;
  let high = 0n;
  for (const record of records) {
    const at = BigInt(record.timestamp ?? Date.now());
    const nextLow = current.length === 0 || at < low ? at : low;
    const nextHigh = current.length === 0 || at > high ? at : high;
    if (current.length > 0 && (current.length >= 500 || nextHigh - nextLow >= 2n ** 31n)) {
      runs.push(current);
      current = [];
      low = at;
      high = at;
    } else {
      low = nextLow;
      high = nextHigh;
    }
    current.push(record);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
