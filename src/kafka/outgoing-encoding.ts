import type { Message } from 'kafkajs';
import type { OutgoingRecord } from '../runtime/record.js';
import { ENCODED_TAIL, encodeRecordTail } from './record-encoding.js';

/**
 * An output's key, value and headers are encoded once, when the stage first sizes it (against
 * its topic's max.message.bytes), and those bytes are what the produce request copies. Before,
 * each output's headers were measured three times and encoded once more.
 */
const tails = new WeakMap<OutgoingRecord, Buffer>();

/** The record's key, value and headers as a Kafka record writes them (encodeRecordTail), cached per record. */
export function encodedTail(record: OutgoingRecord): Buffer {
  let tail = tails.get(record);
  if (tail === undefined) {
    tail = encodeRecordTail(record.key, record.value, record.headers);
    tails.set(record, tail);
  }
  return tail;
}

/** A kafkajs message carrying its encoded tail, which kascade's record encoder uses as it is. */
export function toMessage(record: OutgoingRecord): Message {
  const message: Message & { [ENCODED_TAIL]: Buffer } = {
    key: record.key,
    value: record.value,
    headers: record.headers,
    [ENCODED_TAIL]: encodedTail(record),
  };
  if (record.timestamp !== undefined) message.timestamp = record.timestamp;
  return message;
}
