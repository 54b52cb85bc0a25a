import type { HopLatencies, LatencyResult, Percentiles } from './latency.js';
import type { ThroughputResult } from './throughput.js';

export interface ThroughputRun extends ThroughputResult {
  readonly rep: number;
}

export interface BenchResults {
  readonly started: string;
  readonly finished: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number };
  readonly versions: Record<string, string>;
  readonly parameters: {
    readonly reps: number;
    readonly batch: number;
    readonly quick: boolean;
    readonly tuning: Readonly<Record<string, string | undefined>>;
    readonly scenarios: readonly { name: string; description: string; target: number }[];
  };
  /** onnxruntime alone, rows per second, one value per repetition. */
  readonly limits: Record<string, number[]>;
  readonly runs: readonly ThroughputRun[];
  readonly latency: readonly LatencyResult[];
  /** OTLP export requests the traced runs sent to the sink. */
  readonly spans: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? (sorted[Math.floor(middle)] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN, n: sorted.length };
}

export interface Goal {
  readonly goal: string;
  readonly figure: number;
  readonly target: number;
  /** Higher is better (a ratio), or lower (a latency). */
  readonly higherIsBetter: boolean;
}

/**
 * The pass-through limits of each client: a kascade scenario is compared with the limit measured
 * with the client its stages run on (router, small, small-eos on the default, platformatic; their
 * -kafkajs copies on kafkajs).
 */
const CLIENTS = [
  { client: 'platformatic', suffix: '', bytes: 'platformatic-passthrough', avro: 'platformatic-avro-passthrough' },
  { client: 'kafkajs', suffix: '-kafkajs', bytes: 'kafkajs-passthrough', avro: 'kafkajs-avro-passthrough' },
] as const;

/** The issue's goals, from the medians of this run. NaN when a scenario was not run. */
export function goals(results: BenchResults): Goal[] {
  const median = (scenario: string): number => spread(results.runs.filter((run) => run.scenario === scenario).map((run) => run.recordsPerSecond)).median;
  const limit = (name: string): number => spread(results.limits[name] ?? []).median;
  const cpu = (scenario: string): number => spread(results.runs.flatMap((run) => (run.scenario === scenario && run.cpuMicrosPerRecord !== undefined ? [run.cpuMicrosPerRecord] : []))).median;
  // heavy runs on the default client: its Avro pass-through is the bound's Kafka part.
  const avro = median('platformatic-avro-passthrough');
  const heavyBound = 1 / (1 / avro + 1 / limit('ort-only:bench-heavy'));
  const atHalf = results.latency.find((entry) => entry.load === 0.5);
  const heavyLoop = results.runs.filter((run) => run.scenario === 'heavy').flatMap((run) => (run.eventLoopP99Ms === undefined ? [] : [run.eventLoopP99Ms.median]));
  return [
    ...CLIENTS.flatMap(({ client, suffix, bytes, avro: avroLimit }) => [
      { goal: `router / ${client} pass-through (router${suffix} / ${bytes})`, figure: median(`router${suffix}`) / median(bytes), target: 0.9, higherIsBetter: true },
      { goal: `small model / ${client} Avro pass-through (small${suffix} / ${avroLimit})`, figure: median(`small${suffix}`) / median(avroLimit), target: 0.8, higherIsBetter: true },
      { goal: `exactly-once / at-least-once, ${client} (small-eos${suffix} / small${suffix})`, figure: median(`small-eos${suffix}`) / median(`small${suffix}`), target: 0.85, higherIsBetter: true },
    ]),
    { goal: 'default client / kafkajs, router (no goal)', figure: median('router') / median('router-kafkajs'), target: NaN, higherIsBetter: true },
    { goal: 'default client / kafkajs, small (no goal)', figure: median('small') / median('small-kafkajs'), target: NaN, higherIsBetter: true },
    { goal: 'platformatic pass-through / kafkajs pass-through (no goal)', figure: median('platformatic-passthrough') / median('kafkajs-passthrough'), target: NaN, higherIsBetter: true },
    { goal: 'CPU per record, platformatic pass-through / kafkajs pass-through (no goal)', figure: cpu('platformatic-passthrough') / cpu('kafkajs-passthrough'), target: NaN, higherIsBetter: false },
    { goal: 'CPU per record, default client / kafkajs, small (no goal)', figure: cpu('small') / cpu('small-kafkajs'), target: NaN, higherIsBetter: false },
    { goal: 'heavy model / (1 / (1/platformatic Avro pass-through + 1/ort-only))', figure: median('heavy') / heavyBound, target: 0.85, higherIsBetter: true },
    { goal: 'cascade / slowest stage alone', figure: median('cascade') / Math.min(median('cascade-a'), median('cascade-b')), target: 0.85, higherIsBetter: true },
    { goal: 'keyed colocated / single model (2 instances each)', figure: median('keyed-colocated') / median('small-x2'), target: 0.85, higherIsBetter: true },
    { goal: 'keyed key-hashed / keyed colocated (the thrash cost; no goal)', figure: median('keyed-hashed') / median('keyed-colocated'), target: NaN, higherIsBetter: true },
    { goal: 'tracing on / tracing off', figure: median('small-traced') / median('small'), target: 0.9, higherIsBetter: true },
    { goal: 'tracing on, 10% of traces sampled / tracing off (no goal)', figure: median('small-sampled') / median('small'), target: NaN, higherIsBetter: true },
    { goal: 'kascade small (default client) / hand-written Python consumer', figure: median('small') / median('python'), target: 1, higherIsBetter: true },
    { goal: 'per-hop p99 at 50% load, ms', figure: atHalf === undefined ? NaN : Math.max(atHalf.hopA.p99, atHalf.hopB.p99), target: 20, higherIsBetter: false },
    {
      goal: 'per-hop p99 at 50% load of two kafkajs pass-throughs (the limit; no goal), ms',
      figure: atHalf?.passthrough === undefined ? NaN : Math.max(atHalf.passthrough.hopA.p99, atHalf.passthrough.hopB.p99),
      target: NaN,
      higherIsBetter: false,
    },
    { goal: 'event-loop delay p99 during heavy inference, ms (median of per-second samples)', figure: spread(heavyLoop).median, target: 20, higherIsBetter: false },
  ];
}

const number = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');

/** The Markdown report printed after a run (and pasted into BENCHMARKS.md). */
export function report(results: BenchResults): string {
  const lines: string[] = [];
  lines.push(`Measured ${results.started} on ${String(results.machine.cpus)} x ${results.machine.cpuModel}, ${String(results.machine.memoryGiB)} GiB; ${Object.entries(results.versions).map(([name, version]) => `${name} ${version}`).join(', ')}.`);
  lines.push(
    `Batch size ${String(results.parameters.batch)}; ${String(results.parameters.reps)} repetitions, interleaved; median [min - max] records/s, and median CPU µs per record ` +
      '(user + system of the scenario\'s processes over the measured stretch; broker and registry not included) with the cores they kept busy.',
    '',
  );
  lines.push('| scenario | what | records/s | CPU µs/record (cores) | event-loop p99 ms (median / max) |', '|---|---|---|---|---|');
  for (const [name, values] of Object.entries(results.limits)) {
    const s = spread(values);
    lines.push(`| ${name} | limit: onnxruntime alone, rows/s | ${number(s.median)} [${number(s.min)} - ${number(s.max)}] | | |`);
  }
  for (const scenario of results.parameters.scenarios) {
    const runs = results.runs.filter((run) => run.scenario === scenario.name);
    if (runs.length === 0) continue;
    const s = spread(runs.map((run) => run.recordsPerSecond));
    const loop = spread(runs.flatMap((run) => (run.eventLoopP99Ms === undefined ? [] : [run.eventLoopP99Ms.median])));
    const loopMax = Math.max(...runs.map((run) => run.eventLoopP99Ms?.max ?? NaN).filter(Number.isFinite));
    const cpu = spread(runs.flatMap((run) => (run.cpuMicrosPerRecord === undefined ? [] : [run.cpuMicrosPerRecord])));
    const cores = spread(runs.flatMap((run) => (run.cpuCores === undefined ? [] : [run.cpuCores])));
    const cpuCell = cpu.n === 0 ? '-' : `${number(cpu.median, 1)} (${number(cores.median, 2)})`;
    lines.push(`| ${scenario.name} | ${scenario.description} | ${number(s.median)} [${number(s.min)} - ${number(s.max)}] | ${cpuCell} | ${number(loop.median, 1)} / ${number(loopMax, 1)} |`);
  }
  lines.push('', '| goal | figure | target | met |', '|---|---|---|---|');
  for (const goal of goals(results)) {
    const met = !Number.isFinite(goal.target) || !Number.isFinite(goal.figure) ? '' : (goal.higherIsBetter ? goal.figure >= goal.target : goal.figure <= goal.target) ? 'yes' : '**no**';
    lines.push(`| ${goal.goal} | ${number(goal.figure, 2)} | ${Number.isFinite(goal.target) ? `${goal.higherIsBetter ? '>=' : '<='} ${String(goal.target)}` : '-'} | ${met} |`);
  }
  if (results.latency.length > 0) {
    const pair = (percentiles: Percentiles): string => `${String(percentiles.p50)} / ${String(percentiles.p99)}`;
    lines.push(
      '',
      'p50 / p99 ms after the warm-up; in brackets, two kafkajs pass-throughs chained the same way at the same rate (the limit).',
      'The last column is the warm-up itself: the first seconds after both stages started.',
      '',
      '| load (of the cascade max) | input rate/s | hop A | hop B | end-to-end | end-to-end, warm-up |',
      '|---|---|---|---|---|---|',
    );
    for (const entry of results.latency) {
      const limit = (pick: (latencies: HopLatencies) => Percentiles): string => (entry.passthrough === undefined ? '' : ` [${pair(pick(entry.passthrough))}]`);
      lines.push(
        `| ${String(entry.load * 100)}% | ${number(entry.ratePerSecond)} | ${pair(entry.hopA)}${limit((l) => l.hopA)} | ${pair(entry.hopB)}${limit((l) => l.hopB)} | ${pair(entry.endToEnd)}${limit((l) => l.endToEnd)} | ` +
          `${entry.startUp === undefined ? '-' : `${pair(entry.startUp.endToEnd)} (first ${String(entry.warmUpSeconds)} s)`} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
