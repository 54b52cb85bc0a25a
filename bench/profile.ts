/**
 * `npm run bench:profile -- STAGE [COUNT] [--traced]`: runs one stage of bench/topologies/bench.yaml
 * under Node's CPU profiler on COUNT preloaded requests (default 150,000), with every span exported
 * to a local OTLP sink when --traced, then prints where the main
 * thread spent its time: by function (self time) and by package. The .cpuprofile files (one per
 * thread) stay in bench/profiles/ for Chrome DevTools or speedscope.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildKascade, KASCADE_CLI, kascadeNodeFlags } from './lib/build.js';
import { until, type Watched } from './lib/child.js';
import { Cluster } from './lib/cluster.js';
import { preload } from './lib/preload.js';
import { OtlpSink, tracedStageEnvironment } from './lib/otlp-sink.js';
import { summarizeProfile, type CpuProfile } from './lib/profile-summary.js';

const traced = process.argv.includes('--traced');
const [stage = 'small', countArgument = '150000'] = process.argv.slice(2).filter((argument) => argument !== '--traced');
const count = Number(countArgument);
const outputs: Readonly<Record<string, string>> = { router: 'arm-a,arm-b', small: 'small', heavy: 'heavy', 'cascade-a': 'first' };
const outputNames = outputs[stage];
if (outputNames === undefined) throw new Error(`profile one of: ${Object.keys(outputs).join(', ')}`);

buildKascade((line) => process.stderr.write(`profile: ${line}\n`));
const cluster = new Cluster();
const sink = traced ? await OtlpSink.start() : undefined;
const tracing = sink === undefined ? {} : tracedStageEnvironment(sink.endpoint);
const data = `prof-${randomUUID().slice(0, 6)}`;
const run = `${data}-run`;
const directory = join('bench', 'profiles', `${stage}${traced ? '-traced' : ''}-${data}`);
mkdirSync(directory, { recursive: true });
try {
  const loaded = await cluster.topology(data, run);
  await cluster.createTopics(loaded);
  const input = stage === 'heavy' ? 'heavy-requests' : 'requests';
  await preload(cluster, loaded, `${data}.${input}`, { count, keyOf: (_index, request) => request.user });
  const child = spawn(
    process.execPath,
    [...kascadeNodeFlags(), `--cpu-prof`, `--cpu-prof-dir=${directory}`, KASCADE_CLI, 'run', 'bench/topologies/bench.yaml', '--stage', stage, '--no-metrics'],
    { env: { ...process.env, ...tracing, KASCADE_DATA: data, KASCADE_RUN: run, KASCADE_LOG_LEVEL: 'warn' }, stdio: 'inherit' },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const topics = outputNames.split(',').map((name) => `${run}.${name}`);
  const started = Date.now();
  let ended = false;
  void exited.then(() => (ended = true));
  const alive: Watched = { get running() { return !ended; }, tail: () => 'the profiled stage exited' };
  await until(async () => (await cluster.endOffsets(topics)) >= count, () => `${String(count)} outputs`, 600_000, [alive], 200);
  process.stderr.write(`profile: ${String(count)} records in ${((Date.now() - started) / 1000).toFixed(1)} s (start-up included)\n`);
  // A graceful stop: the profiler writes its files on exit.
  child.kill('SIGTERM');
  await exited;
  const files = readdirSync(directory).map((name) => join(directory, name));
  const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (main === undefined) throw new Error(`no profile written to ${directory}`);
  process.stdout.write(summarizeProfile(JSON.parse(readFileSync(main, 'utf8')) as CpuProfile, 30));
  process.stderr.write(`profile: files in ${directory} (the largest is the main thread)\n`);
} finally {
  await cluster.deleteTopics(data).catch(() => undefined);
  await cluster.close();
  await sink?.close();
}
