import type { Deserializers, Message, MessageToConsume, MessageToProduce, Producer, Serializers } from '@platformatic/kafka';
import type { Header, Headers, OutgoingRecord, SourceRecord } from '../../runtime/record.js';

/**
 * Records between kascade and @platformatic/kafka. The library hands headers as a Map (a name's
 * repeats collapse) but gives its key deserializer the raw record, whose headers are the ordered
 * list of [name, value] byte pairs: kascade's key deserializer keeps that list with the key. On
 * the way out, each header gets a key object of its own, so a Map keeps repeated names in order.
 */

/** What kascade's key deserializer makes of a fetched record: the key and every header as read. */
export interface RawRecordParts {
  readonly key: Buffer | null;
  readonly headers: Headers;
}

export function headerList(record: Pick<MessageToConsume, 'headers'>): Header[] {
  const headers: Header[] = [];
  for (const [name, value] of record.headers) headers.push([name === null ? '' : name.toString('utf8'), value]);
  return headers;
}

function passBytes(data?: Buffer): Buffer | undefined {
  return data;
}

/** Deserializers that keep the record's bytes: key and headers via RawRecordParts, the value as it came (null kept). */
export const rawDeserializers: Deserializers<RawRecordParts, Buffer | null, Buffer, Buffer> = {
  key: (_data, _headers, record) => (record === undefined ? { key: null, headers: [] } : { key: record.key, headers: headerList(record) }),
  value: (_data, _headers, record) => record?.value ?? null,
  headerKey: passBytes,
  headerValue: passBytes,
};

export type FetchedMessage = Message<RawRecordParts, Buffer | null>;

export function toSourceRecord(message: FetchedMessage): SourceRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: message.key.key,
    value: message.value,
    headers: message.key.headers,
    timestamp: message.timestamp.toString(),
  };
}

/** One header of an outgoing record: a distinct object per header, so a Map keeps repeats. */
export class HeaderName {
  constructor(readonly name: string) {}
}

export type RawProducer = Producer<Buffer | null, Buffer | null, HeaderName, Buffer | null>;

export type OutgoingMessage = MessageToProduce<Buffer | null, Buffer | null, HeaderName, Buffer | null>;

/**
 * Key, value and header bytes go out as they are; a null header value is written with length -1
 * (the library's writer does so for null and undefined), and reads back as null.
 */
export const rawSerializers: Serializers<Buffer | null, Buffer | null, HeaderName, Buffer | null> = {
  key: (data) => data ?? undefined,
  value: (data) => data ?? undefined,
  headerKey: (header) => (header === undefined ? undefined : Buffer.from(header.name, 'utf8')),
  headerValue: (value) => value ?? undefined,
};

export function toOutgoingMessage(record: OutgoingRecord, partition: number | undefined): OutgoingMessage {
  const headers = new Map<HeaderName, Buffer | null>();
  for (const [name, value] of record.headers) headers.set(new HeaderName(name), typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
  return {
    topic: record.topic,
    key: record.key,
    value: record.value,
    headers,
    ...(partition === undefined ? {} : { partition }),
    ...(record.timestamp === undefined ? {} : { timestamp: BigInt(record.timestamp) }),
  };
}
