import { headerText } from '../../src/runtime/record.js';
import { readTopics } from '../../src/kafka/operator/topic-reader.js';
import type { Cluster } from './cluster.js';

export interface OutputRecord {
  /** Kafka timestamp of the output (set when the stage produced it). */
  readonly timestamp: number;
  /** When its request entered the pipeline (`kascade.origin.time`), if the stage wrote it. */
  readonly origin: number | undefined;
  readonly id: string | undefined;
}

/** Every record of `topics`, with timestamps and the headers latency needs. */
export async function readOutputs(cluster: Cluster, topics: readonly string[]): Promise<OutputRecord[]> {
  const records: OutputRecord[] = [];
  await readTopics(
    cluster.access,
    topics.map((topic) => ({ topic })),
    {
      onRecord: (record) => {
        const origin = headerText(record.headers, 'kascade.origin.time');
        records.push({ timestamp: record.timestamp, origin: origin === undefined ? undefined : Number(origin), id: headerText(record.headers, 'kascade.request-id') });
      },
    },
  );
  return records;
}

/**
 * Steady-state throughput from the output's own timestamps: records per second between the
 * `trim` and `1 - trim` quantiles of the output times, so the start (group join, first fetch,
 * JIT warm-up) and the end (the process being stopped) do not count. The same measure for
 * every implementation, kascade or baseline: none of them reports its own speed.
 */
export function throughput(timestamps: readonly number[], trim = 0.1): number {
  const window = measuredWindow(timestamps, trim);
  return window === undefined ? NaN : window.records / ((window.to - window.from) / 1000);
}

/**
 * The stretch a rate is measured over: from the output at the `trim` quantile of times to the
 * one at 1 - `trim` (start-up, group join and the stop left out), and how many outputs it spans.
 */
export function measuredWindow(timestamps: readonly number[], trim = 0.1): { readonly from: number; readonly to: number; readonly records: number } | undefined {
  const sorted = [...timestamps].sort((a, b) => a - b);
  const first = Math.floor(sorted.length * trim);
  const last = Math.ceil(sorted.length * (1 - trim)) - 1;
  const from = sorted[first];
  const to = sorted[last];
  return from === undefined || to === undefined || to <= from ? undefined : { from, to, records: last - first };
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
