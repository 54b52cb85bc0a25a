import type { IHeaders, Message } from 'kafkajs';
import type { OutgoingRecord } from '../runtime/record.js';
import { headersToObject } from './kafkajs-headers.js';
import { kafkajsPatchState } from './kafkajs-patch-state.js';
import { ENCODED_TAIL, encodeRecordTail } from './record-encoding.js';

/**
 * An output's key, value and headers are encoded once, when the stage first sizes it (against
 * its topic's max.message.bytes), and those bytes are what the produce request copies. Before,
 * each output's headers were measured three times and encoded once more.
 */
const TAIL = Symbol('kascade.encodedTail');
const TAIL_OF = Symbol('kascade.encodedTailOf');

/**
 * The bytes ride on the record under private symbols. A WeakMap held them before: with tens of
 * thousands of short-lived records a second, its upkeep doubled the cost of encoding a record.
 * `TAIL_OF` names the record the bytes were encoded for, so a copy made by spreading (which
 * copies symbol properties) is encoded afresh rather than trusted.
 */
type WithTail = OutgoingRecord & { [TAIL]?: Buffer; [TAIL_OF]?: OutgoingRecord };

/** The record's key, value and headers as a Kafka record writes them (encodeRecordTail), cached per record. */
export function encodedTail(record: OutgoingRecord): Buffer {
  const carrier = record as WithTail;
  const cached = carrier[TAIL];
  if (cached !== undefined && carrier[TAIL_OF] === record) return cached;
  const tail = encodeRecordTail(record.key, record.value, record.headers);
  carrier[TAIL] = tail;
  carrier[TAIL_OF] = record;
  return tail;
}

/**
 * A kafkajs message carrying its encoded tail, which kascade's record encoder uses as it is (so
 * headers keep their order, repeats and null values). kafkajs's headers object is built only
 * where kafkajs encodes records itself (it was loaded before kascade could install its encoder):
 * built for every record, or made by a getter closure per record, it doubled a router's GC.
 */
class EncodedMessage implements Message {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
  readonly timestamp?: string;
  readonly partition?: number;
  readonly [ENCODED_TAIL]: Buffer;

  constructor(record: OutgoingRecord, partition: number | undefined) {
    this.key = record.key;
    this.value = record.value;
    if (!kafkajsPatchState.installed) this.headers = headersToObject(record.headers);
    if (record.timestamp !== undefined) this.timestamp = record.timestamp;
    if (partition !== undefined) this.partition = partition;
    this[ENCODED_TAIL] = encodedTail(record);
  }
}

/** The kafkajs message of a record; `partition` places it explicitly. */
export function toMessage(record: OutgoingRecord, partition?: number): Message {
  return new EncodedMessage(record, partition);
}
