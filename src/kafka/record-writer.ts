import type { OutputSink } from '../runtime/delivery/ports.js';
import type { OutgoingRecord } from '../runtime/record.js';
import type { KeyPartitioner } from '../routing/partitioner.js';
import type { KafkaAccess } from './platformatic/cluster-admin.js';
import { PlatformaticOutputSink } from './platformatic/platformatic-output-sink.js';

/** A writer of records for tools (simulate, the demo's load): idempotent, acks=all, headers as given. */
export type RecordWriter = OutputSink;

/** Keyed records go where the Java client puts them (murmur2), or where `partitioner` says. */
export function openRecordWriter(access: KafkaAccess, partitioner?: KeyPartitioner): RecordWriter {
  return new PlatformaticOutputSink({ connection: access.connection, clientId: access.clientId, partitioner });
}

/** A text key and value as a record of `topic` (UTF-8, no headers). */
export function textRecord(topic: string, key: string | null, value: string, timestamp?: string): OutgoingRecord {
  return { topic, key: key === null ? null : Buffer.from(key, 'utf8'), value: Buffer.from(value, 'utf8'), headers: [], ...(timestamp === undefined ? {} : { timestamp }) };
}
