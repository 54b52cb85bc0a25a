import type { Message } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Child, until } from './child.js';
import type { Cluster } from './cluster.js';
import { quantile, readOutputs } from './output-rate.js';
import { request } from './preload.js';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

export interface LatencyResult {
  /** Share of the cascade's measured maximum throughput the input was sent at. */
  readonly load: number;
  readonly ratePerSecond: number;
  /** Requests sent, and how many of them the percentiles cover (the first second left out). */
  readonly sent: number;
  readonly measured: number;
  /** Request sent -> stage A's output written. */
  readonly hopA: Percentiles;
  /** Stage A's output written -> stage B's output written. */
  readonly hopB: Percentiles;
  /** Request sent -> final output written. */
  readonly endToEnd: Percentiles;
}

/**
 * Latency of the 2-model cascade (two stage processes) at fixed input rates: a generator sends
 * requests at `rate` for `seconds`, every 10 ms; latencies come from Kafka timestamps (the
 * request's, carried as `kascade.origin.time`, and each output's), the first second left out.
 */
export async function measureLatency(cluster: Cluster, data: string, maxRate: number, loads: readonly number[], seconds: number, say: (line: string) => void): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  for (const load of loads) {
    const rate = maxRate * load;
    const inputData = `${data}-lat${String(Math.round(load * 100))}`;
    const run = `l${randomUUID().slice(0, 8)}`;
    const loaded = await cluster.topology(inputData, run);
    await cluster.createTopics(loaded);
    const children = ['cascade-a', 'cascade-b'].map((stage) => Child.stage([stage], { KASCADE_DATA: inputData, KASCADE_RUN: run }, ['--metrics-port', '0']));
    let sent = 0;
    try {
      await until(() => Promise.resolve(children.every((child) => child.lines.some((line) => line.includes('"msg":"stage running"')))), () => 'both cascade stages to join', 120_000, children);
      sent = await sendAtRate(cluster, loaded, `${inputData}.requests`, rate, seconds);
      let count = 0;
      await until(
        async () => {
          count = (await cluster.endOffsetsOrRetry([`${run}.second`])) ?? count;
          return count >= sent;
        },
        () => `${String(sent)} cascade outputs (have ${String(count)})`,
        120_000,
        children,
      );
    } finally {
      await Promise.all(children.map((child) => child.stop()));
    }
    const first = await readOutputs(cluster, [`${run}.first`]);
    const second = await readOutputs(cluster, [`${run}.second`]);
    const firstTime = new Map(first.map((record) => [record.id, record.timestamp]));
    // A loop, not Math.min(...): at 75% load there are more records than a call's arguments may be.
    const start = first.reduce((earliest, record) => Math.min(earliest, record.origin ?? Infinity), Infinity) + 1000;
    const hopA: number[] = [];
    const hopB: number[] = [];
    const endToEnd: number[] = [];
    for (const record of second) {
      if (record.origin === undefined || record.origin < start) continue;
      const written = firstTime.get(record.id);
      if (written === undefined) continue;
      hopA.push(written - record.origin);
      hopB.push(record.timestamp - written);
      endToEnd.push(record.timestamp - record.origin);
    }
    const percentiles = (values: readonly number[]): Percentiles => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99) });
    const result: LatencyResult = { load, ratePerSecond: Math.round(rate), sent, measured: endToEnd.length, hopA: percentiles(hopA), hopB: percentiles(hopB), endToEnd: percentiles(endToEnd) };
    say(`latency at ${String(load * 100)}% (${String(result.ratePerSecond)}/s): end-to-end p50 ${String(result.endToEnd.p50)} ms, p99 ${String(result.endToEnd.p99)} ms`);
    results.push(result);
    await cluster.deleteTopics(`${run}.`);
  }
  return results;
}

/** Sends requests at `rate` per second for `seconds` (a tick every 10 ms catches up to the schedule); returns how many. */
async function sendAtRate(cluster: Cluster, loaded: Awaited<ReturnType<Cluster['topology']>>, topic: string, rate: number, seconds: number): Promise<number> {
  const serde = cluster.serdes(loaded).serdeFor(topic);
  // A plain producer: the generator must keep its schedule, not wait for one request at a time.
  const producer = cluster.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const total = Math.round(rate * seconds);
  const started = Date.now();
  let sent = 0;
  const inFlight: Promise<unknown>[] = [];
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      if (due > sent) {
        const messages: Message[] = [];
        for (; sent < due; sent++) {
          const value = request(sent, topic);
          messages.push({ key: value.user, value: await serde.serialize(value) });
        }
        inFlight.push(producer.send({ topic, messages, acks: 1 }));
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return total;
}
