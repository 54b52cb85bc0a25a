import { partitionKey, type TopicPartition } from '../ports.js';

/** Topic then partition order: every list the in-memory transport hands out is sorted so, for reproducible tests. */
export function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

export function sortedPartitions(partitions: Iterable<TopicPartition>): TopicPartition[] {
  return [...partitions].map(({ topic, partition }) => ({ topic, partition })).sort(comparePartitions);
}

export function keyOf(tp: TopicPartition): string {
  return partitionKey(tp.topic, tp.partition);
}

/** A promise with its resolver at hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
