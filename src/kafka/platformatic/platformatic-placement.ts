import type { OutgoingRecord } from '../../runtime/record.js';
import { partitionForKey } from '../../routing/partitioner.js';
import type { KeyPartitioner } from '../../routing/partitioner.js';
import { toOutgoingMessage, type OutgoingMessage, type RawProducer } from './platformatic-records.js';

/** The Java client's placement of a keyed record: murmur2 of the key, made positive with `& 0x7fffffff`. */
export const javaKeyPartitioner: KeyPartitioner = (_topic, key, partitions) => partitionForKey(key, partitions);

/**
 * Messages for the library: a record that names its partition goes there; keyed records are
 * placed by kascade (the library's own default is `murmur2 >>> 0`, which places keys unlike Java
 * producers); keyless records get no partition, so the library spreads them round-robin.
 */
export async function placeRecords(
  producer: RawProducer,
  records: readonly OutgoingRecord[],
  partitioner: KeyPartitioner = javaKeyPartitioner,
): Promise<OutgoingMessage[]> {
  const keyedTopics = [...new Set(records.filter((record) => record.key !== null && record.partition === undefined).map((record) => record.topic))];
  const counts = new Map<string, number>();
  if (keyedTopics.length > 0) {
    const metadata = await producer.metadata({ topics: keyedTopics });
    for (const topic of keyedTopics) {
      const count = metadata.topics.get(topic)?.partitionsCount;
      if (count === undefined || count < 1) throw new Error(`no partitions known for topic ${topic}`);
      counts.set(topic, count);
    }
  }
  return records.map((record) =>
    toOutgoingMessage(record, record.partition ?? (record.key === null ? undefined : partitioner(record.topic, record.key, counts.get(record.topic) ?? 1))),
  );
}
