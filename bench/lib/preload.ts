import type { Message } from 'kafkajs';
import { createProducer } from '../../src/kafka/kafkajs/client.js';
import { topicPartitioner } from '../../src/routing/colocation.js';
import type { LoadedTopology } from '../../src/topology/load.js';
import type { Cluster } from './cluster.js';

export interface BenchRequest {
  readonly id: string;
  readonly user: string;
  readonly features: number[];
}

/** Deterministic features in [-1, 1): the same request index always gives the same row. */
export function featuresOf(index: number): number[] {
  const row: number[] = [];
  let state = (index * 2654435761) >>> 0;
  for (let column = 0; column < 32; column++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    row.push(state / 2 ** 31 - 1);
  }
  return row;
}

export function request(index: number, prefix: string): BenchRequest {
  return { id: `${prefix}-${String(index)}`, user: `u${String(index % 1000)}`, features: featuresOf(index) };
}

/** Cohort keys of the keyed stage: a0..a7, b0..b7, ... (8 keys per model). */
export function cohortKey(index: number): string {
  return `${'abcd'[index % 4] ?? 'a'}${String(Math.floor(index / 4) % 8)}`;
}

export interface PreloadOptions {
  readonly count: number;
  readonly keyOf: (index: number, request: BenchRequest) => string;
  /** Place keys as the topology's colocation says (the keyed stage's input); key hash otherwise. */
  readonly colocated?: boolean;
  readonly onProgress?: (written: number) => void;
}

/** Writes `count` Avro requests to `topic`, in produce requests of 2,000, and returns when all are acknowledged. */
export async function preload(cluster: Cluster, loaded: LoadedTopology, topic: string, options: PreloadOptions): Promise<void> {
  const serde = cluster.serdes(loaded).serdeFor(topic);
  const producer = createProducer(cluster.kafka, options.colocated === true ? { partitioner: topicPartitioner(loaded.spec) } : {});
  await producer.connect();
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let start = 0; start < options.count; start += 2000) {
      const messages: Message[] = [];
      for (let index = start; index < Math.min(options.count, start + 2000); index++) {
        const value = request(index, topic);
        messages.push({ key: options.keyOf(index, value), value: await serde.serialize(value) });
      }
      inFlight.push(producer.send({ topic, messages, acks: -1 }));
      if (inFlight.length >= 4) await inFlight.shift();
      options.onProgress?.(Math.min(options.count, start + 2000));
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}
