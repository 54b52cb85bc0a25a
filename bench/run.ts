/**
 * `npm run bench`: throughput and latency of every stage kind against the limits of this
 * machine, measured in the same run. Not a test: nothing here asserts a time.
 *
 *   npm run bench                        everything, 3 repetitions
 *   npm run bench -- --reps 5 --only small,platformatic-avro-passthrough
 *   npm run bench -- --quick             small counts, 1 repetition (a smoke run)
 *   npm run bench -- --reps 1 --scale 0.2 --only platformatic-passthrough,kafkajs-passthrough --no-latency
 *                                        a few scenarios on a fifth of the data
 *   npm run bench -- --only small --variant small:KASCADE_CHUNK=128
 *                                        a tuning against the default, interleaved
 *
 * Writes bench/results/<time>.json and prints the report (bench/README.md explains it).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { buildKascade } from './lib/build.js';
import { Cluster } from './lib/cluster.js';
import { ensureLocalStack } from './lib/local-stack.js';
import { measureLatency, type LatencyResult } from './lib/latency.js';
import { prepareData } from './lib/data.js';
import { OtlpSink } from './lib/otlp-sink.js';
import { ortLimit } from './lib/ort-limit.js';
import { report, type BenchResults, type ThroughputRun } from './lib/report.js';
import { measureThroughput } from './lib/throughput.js';
import { throughputScenarios, type ThroughputScenario } from './lib/scenarios.js';
import { versions } from './lib/versions.js';
import { pythonReady } from './lib/python.js';
import { scenarioVariant } from './lib/variants.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    // Fraction of the data and target counts (--quick: 0.1).
    scale: { type: 'string' },
    batch: { type: 'string', default: '64' },
    'no-latency': { type: 'boolean', default: false },
    // The broker warm-up before the first repetition (two kafkajs pass-throughs): skip it on a broker already warm.
    'no-warm-up': { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true },
  },
});
const quick = values.quick;
const reps = quick ? 1 : Number(values.reps);
const batch = Number(values.batch);
const scale = values.scale === undefined ? (quick ? 0.1 : 1) : Number(values.scale);
if (!(scale > 0)) throw new Error(`--scale ${String(values.scale)}: expected a positive number`);
const say = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

const only = values.only?.split(',').map((name) => name.trim());
let scenarios = throughputScenarios(scale, batch).filter((scenario) => only === undefined || only.includes(scenario.name) || (scenario.after !== undefined && only.includes(scenario.after)));
const allScenarios = throughputScenarios(scale, batch);
scenarios = [...scenarios, ...(values.variant ?? []).map((spec) => scenarioVariant(spec, allScenarios))];
if (scenarios.some((scenario) => scenario.name === 'python') && !pythonReady(say)) scenarios = scenarios.filter((scenario) => scenario.name !== 'python');

/** Writes the results file of this run (the same file each time it is called). */
function save(results: BenchResults): string {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${results.started.replace(/[:.]/g, '-')}${results.parameters.quick ? '-quick' : ''}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/**
 * A broker just started is slower for its first minutes: in this project's runs on a fresh
 * broker, the first repetition's first scenarios measured 20-35% below later repetitions. The
 * two pass-throughs run once, unmeasured, before the first repetition.
 */
async function warmUpBroker(cluster: Cluster, data: string, otlpSink: string): Promise<void> {
  for (const scenario of allScenarios.filter((entry) => entry.name === 'kafkajs-passthrough' || entry.name === 'kafkajs-avro-passthrough')) {
    const run = `b${randomUUID().slice(0, 8)}`;
    const result = await measureThroughput(scenario, { cluster, data, run, otlpSink }, say);
    say(`warm-up (not counted) ${scenario.name}: ${Math.round(result.recordsPerSecond).toLocaleString('en-US')} records/s`);
    await cluster.deleteTopics(`${run}.`);
  }
}

/**
 * The order of one repetition: as listed in odd repetitions, reversed in even ones, so a
 * scenario's place in the repetition (right after another one, the broker's state) does not
 * favour one of a compared pair every time. A scenario that reads its predecessor's output
 * (`after`) stays right behind it.
 */
function repetitionOrder(list: readonly ThroughputScenario[], rep: number): ThroughputScenario[] {
  const groups: ThroughputScenario[][] = [];
  for (const scenario of list) {
    const last = groups.at(-1);
    if (scenario.after !== undefined && last !== undefined) last.push(scenario);
    else groups.push([scenario]);
  }
  return (rep % 2 === 0 ? groups.reverse() : groups).flat();
}

buildKascade(say);
const stopStack = await ensureLocalStack(say);
const cluster = new Cluster();
const sink = await OtlpSink.start();
const data = `bench-${randomUUID().slice(0, 6)}`;
try {
  const started = new Date();
  // Only the data sets the chosen scenarios read (requests always: the warm-up and the latency read it).
  await prepareData(cluster, data, scale, say, new Set(['requests', ...scenarios.map((scenario) => scenario.data)]));
  if (!quick && !values['no-warm-up']) await warmUpBroker(cluster, data, sink.endpoint);

  const limits: Record<string, number[]> = {};
  const runs: ThroughputRun[] = [];
  const collect = async (latency: LatencyResult[]): Promise<BenchResults> => ({
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    versions: await versions(),
    // The bench topology's tuning variables, when set (bench/README.md): results say what they measured.
    parameters: {
      reps,
      batch,
      quick,
      tuning: {
        KASCADE_CHUNK: process.env['KASCADE_CHUNK'],
        KASCADE_MAX_WAIT_MS: process.env['KASCADE_MAX_WAIT_MS'],
        // The client of the scenarios without a -kafkajs suffix (unset: the default, platformatic).
        KASCADE_KAFKA_CLIENT: process.env['KASCADE_KAFKA_CLIENT'],
      },
      scenarios: scenarios.map((scenario) => ({ name: scenario.name, description: scenario.description, target: scenario.target })),
    },
    limits,
    runs,
    latency,
    spans: sink.received,
  });
  for (let rep = 1; rep <= reps; rep++) {
    // Interleaved (A B C A B C ...): slow drift of the machine spreads over every scenario alike.
    // onnxruntime's limits only matter beside model scenarios: a run of pass-throughs skips them.
    for (const model of scenarios.some((scenario) => !scenario.name.includes('passthrough')) ? ['ctr-logreg', 'bench-heavy'] : []) {
      const rowsPerSecond = await ortLimit(model, batch, quick ? 1 : 3);
      (limits[`ort-only:${model}`] ??= []).push(rowsPerSecond);
      say(`rep ${String(rep)}/${String(reps)} ort-only ${model}: ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s`);
    }
    let previousRun = '';
    for (const scenario of repetitionOrder(scenarios, rep)) {
      const run = scenario.after === undefined ? `b${randomUUID().slice(0, 8)}` : previousRun;
      const result = await measureThroughput(scenario, { cluster, data, run, otlpSink: sink.endpoint }, say);
      runs.push({ ...result, rep });
      const cpu = result.cpuMicrosPerRecord === undefined ? '' : `, ${result.cpuMicrosPerRecord.toFixed(1)} CPU µs/record (${(result.cpuCores ?? NaN).toFixed(2)} cores)`;
      say(`rep ${String(rep)}/${String(reps)} ${scenario.name}: ${Math.round(result.recordsPerSecond).toLocaleString('en-US')} records/s${cpu}`);
      previousRun = run;
    }
    // Outputs of this repetition are no longer needed; fewer topics keep the broker's fetches alike.
    for (const run of new Set(runs.filter((entry) => entry.rep === rep).map((entry) => entry.run))) await cluster.deleteTopics(`${run}.`);
    // Saved after every repetition: a run that fails later still leaves what it measured.
    save(await collect([]));
  }

  let latency: LatencyResult[] = [];
  const cascade = runs.filter((entry) => entry.scenario === 'cascade').map((entry) => entry.recordsPerSecond);
  if (!values['no-latency'] && cascade.length > 0) {
    const maximum = [...cascade].sort((a, b) => a - b)[Math.floor(cascade.length / 2)] ?? 0;
    latency = await measureLatency(cluster, data, maximum, [0.25, 0.5, 0.75], quick ? { seconds: 3, warmUp: 2 } : { seconds: 20, warmUp: 10 }, say);
  }

  const results = await collect(latency);
  const file = save(results);
  process.stdout.write(report(results));
  say(`raw results: ${file}`);
} finally {
  await cluster.deleteTopics(data).catch(() => undefined);
  await cluster.close();
  await sink.close();
  await stopStack();
}
