import { writeRecordBatch, recordBatchSize, type Int64Bits, type RecordBatchInput } from './record-batch-encoding.js';
import { ENCODED_TAIL, encodeRecordTail, KafkaRecord, type RecordInput } from './record-encoding.js';
import { protocolStringSize, writeProtocolString, type EncodedRequest } from './request-framing.js';

/**
 * kafkajs encodes a produce request through nested growing encoders: a partition's batch is
 * copied into the partition's encoder, that into the topic's, that into the request's, that
 * into the framed request, each growing by zero-filled doublings; and every message is spread
 * into a new object on its way to the record encoder. For uncompressed requests this computes
 * every size first and writes the request (v3 and later, which share this body) into one
 * buffer, batches in place. test/kafka/produce-request-encoding.test.ts compares the bytes with
 * kafkajs's.
 */

/** A message as kafkajs's producer hands it to the request. */
export interface ProduceMessage extends RecordInput {
  readonly timestamp?: string | number | null;
}

/** What kafkajs's produce request (v3) takes. */
export interface ProduceRequestInput {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly {
    readonly topic: string;
    readonly partitions: readonly { readonly partition: number; readonly firstSequence?: number; readonly messages: readonly ProduceMessage[] }[];
  }[];
}

/** The request object kafkajs's connection sends: it calls `encode` for the body. */
export interface ProduceRequest {
  readonly encode: () => Promise<unknown>;
  readonly [other: string]: unknown;
}

interface PartitionBatch {
  readonly partition: number;
  readonly input: RecordBatchInput;
  readonly records: readonly KafkaRecord[];
  readonly size: number;
}

/** The replacement for kafkajs's produce request v3; compressed requests keep kafkajs's encoding. */
export function produceRequestEncoder(original: (input: ProduceRequestInput) => ProduceRequest, bits: Int64Bits): (input: ProduceRequestInput) => ProduceRequest {
  return (input) => {
    const request = original(input);
    if ((input.compression ?? 0) !== 0) return request;
    return { ...request, encode: () => Promise.resolve(encodeProduceRequest(input, bits)) };
  };
}

function encodeProduceRequest(input: ProduceRequestInput, bits: Int64Bits): EncodedRequest {
  const now = Date.now();
  const topics = input.topicData.map(({ topic, partitions }) => ({
    topic,
    batches: partitions.map((data) => partitionBatch(data, input, now)),
  }));
  const transactionalId = input.transactionalId ?? null;
  let size = protocolStringSize(transactionalId) + 2 + 4 + 4;
  for (const topic of topics) {
    size += protocolStringSize(topic.topic) + 4;
    for (const batch of topic.batches) size += 4 + 4 + batch.size;
  }
  const buffer = Buffer.allocUnsafe(size);
  let offset = writeProtocolString(buffer, 0, transactionalId);
  offset = buffer.writeInt16BE(input.acks, offset);
  offset = buffer.writeInt32BE(input.timeout, offset);
  offset = buffer.writeInt32BE(topics.length, offset);
  for (const topic of topics) {
    offset = writeProtocolString(buffer, offset, topic.topic);
    offset = buffer.writeInt32BE(topic.batches.length, offset);
    for (const batch of topic.batches) {
      offset = buffer.writeInt32BE(batch.partition, offset);
      offset = buffer.writeInt32BE(batch.size, offset);
      offset = writeRecordBatch(buffer, offset, batch.input, batch.records, bits);
    }
  }
  return { buf: buffer, buffer, size: () => size };
}

/** A partition's records and batch fields, with timestamps chosen exactly as kafkajs chooses them. */
function partitionBatch(data: ProduceRequestInput['topicData'][number]['partitions'][number], input: ProduceRequestInput, now: number): PartitionBatch {
  const { messages } = data;
  // kafkajs sorts the timestamps as strings (Array.prototype.sort without a comparator).
  const timestamps = messages
    .map((message) => message.timestamp)
    .filter((timestamp) => timestamp != null)
    .sort();
  const firstTimestamp = timestamps.length === 0 ? now : (timestamps[0] as string | number);
  const maxTimestamp = timestamps.length === 0 ? now : (timestamps[timestamps.length - 1] as string | number);
  const records = messages.map(
    (message, index) =>
      new KafkaRecord(
        message[ENCODED_TAIL] ?? encodeRecordTail(message.key, message.value, message.headers),
        index,
        Number(message.timestamp || now) - Number(firstTimestamp),
      ),
  );
  return {
    partition: data.partition,
    records,
    size: recordBatchSize(records),
    input: {
      firstTimestamp,
      maxTimestamp,
      producerId: input.producerId ?? -1,
      producerEpoch: input.producerEpoch ?? 0,
      firstSequence: data.firstSequence ?? 0,
      transactional: Boolean(input.transactionalId),
      lastOffsetDelta: records.length - 1,
    },
  };
}
