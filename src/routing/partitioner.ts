/**
 * Kafka's default partitioning of keyed records (Java client, kafkajs DefaultPartitioner):
 * murmur2 of the key bytes, made positive, modulo the partition count. Knowing it outside the
 * producer lets the test driver place records exactly where Kafka would, and lets routing and
 * colocation reason about which worker sees which key.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = byteAt(data, i) | (byteAt(data, i + 1) << 8) | (byteAt(data, i + 2) << 16) | (byteAt(data, i + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length % 4;
  if (tail >= 3) h ^= byteAt(data, whole + 2) << 16;
  if (tail >= 2) h ^= byteAt(data, whole + 1) << 8;
  if (tail >= 1) h = Math.imul(h ^ byteAt(data, whole), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

function byteAt(data: Uint8Array, index: number): number {
  return (data[index] ?? 0) & 0xff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}

/** Places a keyed record: (topic, key bytes, partition count) -> partition. Any Kafka client's partitioner can call it. */
export type KeyPartitioner = (topic: string, key: Buffer, partitions: number) => number;
