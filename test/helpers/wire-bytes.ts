import type { Headers } from '../../src/runtime/record.js';
import { murmur2 } from '../../src/routing/partitioner.js';

/** Bytes as other teams' producers (Python's confluent-kafka, the Java client) write them, for tests of what stages keep. */

/** Confluent's wire format as its serializers lay it out: magic byte 0, 4-byte big-endian schema id, Avro body. */
export function confluentFrame(schemaId: number, body: Buffer): Buffer {
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(schemaId, 1);
  body.copy(frame, 5);
  return frame;
}

/** The partition the Java client's default partitioner picks for these key bytes (murmur2, made positive). */
export function javaPartition(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Headers as confluent-kafka sends `[("trace", b"a"), ("x-null", None), ...]`: repeats, a null value, binary, an empty name and value. */
export const MIXED_HEADERS: Headers = [
  ['trace', Buffer.from('a')],
  ['x-null', null],
  ['bin', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x01])],
  ['trace', Buffer.from('b')],
  ['', Buffer.from('empty name')],
  ['x-empty', Buffer.alloc(0)],
  ['trace', null],
];
