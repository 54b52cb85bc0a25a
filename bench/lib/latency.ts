import type { Message } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Child, until } from './child.js';
import type { Cluster } from './cluster.js';
import { quantile, readOutputs } from './output-rate.js';
import { request } from './preload.js';
import { ensureTopics } from '../../src/kafka/topic-admin.js';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

export interface HopLatencies {
  /** Request sent -> the first hop's output written. */
  readonly hopA: Percentiles;
  /** The first hop's output written -> the second hop's output written. */
  readonly hopB: Percentiles;
  /** Request sent -> final output written. */
  readonly endToEnd: Percentiles;
}

export interface LatencyResult extends HopLatencies {
  /** Share of the cascade's measured maximum throughput the input was sent at. */
  readonly load: number;
  readonly ratePerSecond: number;
  /** Requests sent, and how many of them the percentiles cover (the first second left out). */
  readonly sent: number;
  readonly measured: number;
  /**
   * The limit: two plain kafkajs pass-throughs chained the same way (consume, produce the same
   * bytes, commit), at the same rate, on the same machine. What the broker, the client and the
   * shared cores cost a hop before any processing.
   */
  readonly passthrough?: HopLatencies | undefined;
}

/** Two hops run as processes: what they read and write, and when they are ready for input. */
interface Chain {
  readonly name: string;
  start(inputData: string, run: string): Promise<{ readonly children: Child[]; readonly first: string; readonly second: string }>;
  /** A line each child prints once it has joined its group. */
  readonly readyLine: string;
}

const cascadeChain: Chain = {
  name: 'cascade',
  readyLine: '"msg":"stage running"',
  start: (inputData, run) =>
    Promise.resolve({
      children: ['cascade-a', 'cascade-b'].map((stage) => Child.stage([stage], { KASCADE_DATA: inputData, KASCADE_RUN: run }, ['--metrics-port', '0'])),
      first: `${run}.first`,
      second: `${run}.second`,
    }),
};

function passthroughChain(cluster: Cluster): Chain {
  return {
    name: 'kafkajs pass-through pair',
    readyLine: 'joined',
    start: async (inputData, run) => {
      const [first, second] = [`${run}.pass1`, `${run}.pass2`];
      await ensureTopics(cluster.kafka, [first, second].map((topic) => ({ topic, partitions: 4 })));
      const hop = (input: string, output: string, group: string): Child =>
        Child.script('bench/baselines/passthrough.ts', ['--input', input, '--output', output, '--group', group, '--mode', 'bytes', '--lineage']);
      return { children: [hop(`${inputData}.requests`, first, `bench-${run}.p1`), hop(first, second, `bench-${run}.p2`)], first, second };
    },
  };
}

/**
 * Latency of the 2-model cascade (two stage processes) at fixed input rates, and of two plain
 * kafkajs pass-throughs chained the same way (the limit): a generator sends requests at `rate`
 * for `seconds`, every 10 ms; latencies come from Kafka timestamps (the request's, carried as
 * `kascade.origin.time`, and each output's), the first second left out.
 */
export async function measureLatency(cluster: Cluster, data: string, maxRate: number, loads: readonly number[], seconds: number, say: (line: string) => void): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  for (const load of loads) {
    const rate = maxRate * load;
    const tag = String(Math.round(load * 100));
    const cascade = await measureChain(cluster, cascadeChain, `${data}-lat${tag}`, rate, seconds);
    const passthrough = await measureChain(cluster, passthroughChain(cluster), `${data}-latpass${tag}`, rate, seconds);
    const result: LatencyResult = { load, ratePerSecond: Math.round(rate), sent: cascade.sent, measured: cascade.measured, ...cascade.latencies, passthrough: passthrough.latencies };
    say(
      `latency at ${String(load * 100)}% (${String(result.ratePerSecond)}/s): end-to-end p50 ${String(result.endToEnd.p50)} ms, p99 ${String(result.endToEnd.p99)} ms; ` +
        `kafkajs pass-through pair p50 ${String(passthrough.latencies.endToEnd.p50)} ms, p99 ${String(passthrough.latencies.endToEnd.p99)} ms`,
    );
    results.push(result);
  }
  return results;
}

async function measureChain(
  cluster: Cluster,
  chain: Chain,
  inputData: string,
  rate: number,
  seconds: number,
): Promise<{ readonly sent: number; readonly measured: number; readonly latencies: HopLatencies }> {
  const run = `l${randomUUID().slice(0, 8)}`;
  const loaded = await cluster.topology(inputData, run);
  await cluster.createTopics(loaded);
  const { children, first: firstTopic, second: secondTopic } = await chain.start(inputData, run);
  let sent = 0;
  try {
    await until(() => Promise.resolve(children.every((child) => child.lines.some((line) => line.includes(chain.readyLine)))), () => `both hops of the ${chain.name} to join`, 120_000, children);
    sent = await sendAtRate(cluster, loaded, `${inputData}.requests`, rate, seconds);
    let count = 0;
    await until(
      async () => {
        count = (await cluster.endOffsetsOrRetry([secondTopic])) ?? count;
        return count >= sent;
      },
      () => `${String(sent)} outputs of the ${chain.name} (have ${String(count)})`,
      120_000,
      children,
    );
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
  const first = await readOutputs(cluster, [firstTopic]);
  const second = await readOutputs(cluster, [secondTopic]);
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
  await cluster.deleteTopics(`${run}.`);
  const percentiles = (values: readonly number[]): Percentiles => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99) });
  return { sent, measured: endToEnd.length, latencies: { hopA: percentiles(hopA), hopB: percentiles(hopB), endToEnd: percentiles(endToEnd) } };
}

/**
 * Sends requests at `rate` per second for `seconds` (a tick every 10 ms catches up to the
 * schedule); returns how many. Every value is encoded before the clock starts: the generator
 * shares the cores with what it measures, and should cost it no more than sending does.
 */
async function sendAtRate(cluster: Cluster, loaded: Awaited<ReturnType<Cluster['topology']>>, topic: string, rate: number, seconds: number): Promise<number> {
  const serde = cluster.serdes(loaded).serdeFor(topic);
  const total = Math.round(rate * seconds);
  const encoded: Message[] = [];
  for (let index = 0; index < total; index++) {
    const value = request(index, topic);
    encoded.push({ key: value.user, value: await serde.serialize(value) });
  }
  // A plain producer: the generator must keep its schedule, not wait for one request at a time.
  const producer = cluster.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  let sent = 0;
  const inFlight: Promise<unknown>[] = [];
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      if (due > sent) {
        // kafkajs stamps each message with the time of this send: the origin of its latency.
        inFlight.push(producer.send({ topic, messages: encoded.slice(sent, due), acks: 1 }));
        sent = due;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return total;
}
