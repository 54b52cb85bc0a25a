import type { Message } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Child, until } from './child.js';
import type { Cluster } from './cluster.js';
import { quantile, readOutputs } from './output-rate.js';
import { request } from './preload.js';
import { ensureTopics } from '../../src/kafka/admin/topic-admin.js';

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
  /** Requests sent, and how many of them the percentiles cover (the warm-up left out). */
  readonly sent: number;
  readonly measured: number;
  /**
   * The first seconds after the stages started, at the same rate, left out of the figures above:
   * a process just started runs its code unoptimised until V8 has seen it run (at 1,000
   * requests/s a cascade hop took about 9 s to settle at its steady latency).
   */
  readonly warmUpSeconds?: number;
  /** Latencies during the warm-up: what the first requests after a (re)start see. */
  readonly startUp?: HopLatencies;
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
      await ensureTopics(cluster.access, [first, second].map((topic) => ({ topic, partitions: 4 })));
      const hop = (input: string, output: string, group: string): Child =>
        Child.script('bench/baselines/passthrough.ts', ['--input', input, '--output', output, '--group', group, '--mode', 'bytes', '--lineage']);
      return { children: [hop(`${inputData}.requests`, first, `bench-${run}.p1`), hop(first, second, `bench-${run}.p2`)], first, second };
    },
  };
}

/**
 * Latency of the 2-model cascade (two stage processes) at fixed input rates, and of two plain
 * kafkajs pass-throughs chained the same way (the limit): a generator sends requests at `rate`
 * for `warmUp` and then `seconds` more, every 10 ms; latencies come from Kafka timestamps (the
 * request's, carried as `kascade.origin.time`, and each output's). The steady-state figures leave
 * the warm-up out; the warm-up's own are reported beside them.
 */
export async function measureLatency(
  cluster: Cluster,
  data: string,
  maxRate: number,
  loads: readonly number[],
  timing: { readonly seconds: number; readonly warmUp: number },
  say: (line: string) => void,
): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  for (const load of loads) {
    const rate = maxRate * load;
    const tag = String(Math.round(load * 100));
    const cascade = await measureChain(cluster, cascadeChain, `${data}-lat${tag}`, rate, timing);
    const passthrough = await measureChain(cluster, passthroughChain(cluster), `${data}-latpass${tag}`, rate, timing);
    const result: LatencyResult = {
      load,
      ratePerSecond: Math.round(rate),
      sent: cascade.sent,
      measured: cascade.measured,
      ...cascade.latencies,
      passthrough: passthrough.latencies,
      warmUpSeconds: timing.warmUp,
      startUp: cascade.startUp,
    };
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
  timing: { readonly seconds: number; readonly warmUp: number },
): Promise<{ readonly sent: number; readonly measured: number; readonly latencies: HopLatencies; readonly startUp: HopLatencies }> {
  const run = `l${randomUUID().slice(0, 8)}`;
  const loaded = await cluster.topology(inputData, run);
  await cluster.createTopics(loaded);
  const { children, first: firstTopic, second: secondTopic } = await chain.start(inputData, run);
  let sent = 0;
  try {
    await until(() => Promise.resolve(children.every((child) => child.lines.some((line) => line.includes(chain.readyLine)))), () => `both hops of the ${chain.name} to join`, 120_000, children);
    sent = await sendAtRate(cluster, loaded, `${inputData}.requests`, rate, timing.warmUp + timing.seconds);
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
  const steadyFrom = first.reduce((earliest, record) => Math.min(earliest, record.origin ?? Infinity), Infinity) + timing.warmUp * 1000;
  const steady = new HopSamples();
  const startUp = new HopSamples();
  for (const record of second) {
    const written = firstTime.get(record.id);
    if (record.origin === undefined || written === undefined) continue;
    (record.origin < steadyFrom ? startUp : steady).add(record.origin, written, record.timestamp);
  }
  await cluster.deleteTopics(`${run}.`);
  return { sent, measured: steady.count, latencies: steady.percentiles(), startUp: startUp.percentiles() };
}

/** Each request's time per hop, in ms. */
class HopSamples {
  private readonly hopA: number[] = [];
  private readonly hopB: number[] = [];
  private readonly endToEnd: number[] = [];

  get count(): number {
    return this.endToEnd.length;
  }

  add(origin: number, firstWritten: number, secondWritten: number): void {
    this.hopA.push(firstWritten - origin);
    this.hopB.push(secondWritten - firstWritten);
    this.endToEnd.push(secondWritten - origin);
  }

  percentiles(): HopLatencies {
    const of = (values: readonly number[]): Percentiles => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99) });
    return { hopA: of(this.hopA), hopB: of(this.hopB), endToEnd: of(this.endToEnd) };
  }
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
