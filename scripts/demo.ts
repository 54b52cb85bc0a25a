/**
 * `npm run demo`: the three multi-model patterns on the real stack, end to end.
 *   1. starts the local stack if nothing answers (it stays up; `npm run stack:down` stops it)
 *   2. creates the topics of topologies/demo.yaml and runs all its stages in this process
 *   3. simulates requests from 20,000 users of the demo world for about 20 s, then clicks on the
 *      ads the arms showed, drawn from the world's hidden click model (models/README.md)
 *   4. prints the `kascade ctr` report and what each stage processed
 */
import { spawnSync } from 'node:child_process';
import { connectionFromEnv } from '../src/config/connection.js';
import { loadDemoWorld, worldRequest } from '../src/experiments/demo-world.js';
import { openRecordWriter, textRecord } from '../src/kafka/record-writer.js';
import { isKafkaAnswering } from '../src/kafka/admin/probe.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { runTopology } from '../src/kafka/topology-runner.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { isSchemaRegistryAnswering } from '../src/serde/registry-probe.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { topologyTopics } from '../src/topology/topics.js';
import { registerBuiltinTransforms } from '../src/transforms/builtin-transforms.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import { stackUp } from './stack/lifecycle.js';
import { openSync, writeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, stackPaths } from './stack/paths.js';

const REQUESTS = Number(process.env['DEMO_REQUESTS'] ?? 20_000);
const USERS = 20_000;
const RATE_PER_SECOND = Number(process.env['DEMO_RATE'] ?? 1000);
const WORLD = join(PROJECT_ROOT, 'models/demo-world.json');
/** The arms' final stages: each written record is one impression. */
const IMPRESSION_STAGES = ['pick-champion', 'pick-challenger'];

const say = (line: string): void => {
  process.stderr.write(`demo: ${line}\n`);
};

function kascade(args: readonly string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`kascade ${args[0] ?? ''} failed (exit ${String(result.status)})`);
  return result.stdout;
}

async function main(): Promise<void> {
  const started = Date.now();
  const connection = connectionFromEnv();
  if (!(await isKafkaAnswering(connection, 1500)) || !(await isSchemaRegistryAnswering(connection, 1500))) {
    say('nothing answers at KAFKA_BROKERS / SCHEMA_REGISTRY_URL: starting the local stack (it stays up; stop it with `npm run stack:down`)');
    await stackUp(say);
  }
  const loaded = await loadTopologyFile(join(PROJECT_ROOT, 'topologies/demo.yaml'));
  const { spec, baseDir, modelsRoot } = loaded;
  const access = { connection, clientId: 'kascade-demo' };
  const created = await ensureTopics(access, topologyTopics(spec));
  say(`topics ready (${created.created.length} created, ${created.existing.length} existing)`);

  mkdirSync(stackPaths.logs, { recursive: true });
  const logFile = join(stackPaths.logs, 'demo.log');
  const log = openSync(logFile, 'a');
  const transforms = registerBuiltinTransforms(new TransformRegistry(), { baseDir });
  const running = await runTopology({
    spec,
    connection,
    serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir }),
    plugins: { transforms },
    logger: jsonLogger('info', {}, (line) => writeSync(log, line)),
    modelsRoot,
  });
  say(`running ${spec.stages.length} stages: ${spec.stages.map((stage) => `${stage.name} (${stage.type})`).join(', ')}; stage logs in ${logFile}`);

  const from = new Date(Date.now() - 1000).toISOString();
  // A fixed seed makes the demo reproducible: the same users, requests and clicks every run.
  const seed = process.env['DEMO_SEED'] ?? 'demo';
  const world = loadDemoWorld(WORLD);
  const writer = openRecordWriter(access);
  const consumed = (): string =>
    Object.entries(running.stats())
      .map(([stage, stats]) => `${stage} ${String(stats['consumed'] ?? 0)}`)
      .join(', ');
  try {
    for (let sent = 0; sent < REQUESTS; ) {
      const wave = Math.min(RATE_PER_SECOND, REQUESTS - sent);
      const waveStarted = Date.now();
      const records = Array.from({ length: wave }, (_, offset) => {
        const request = worldRequest(world, seed, sent + offset, USERS);
        return textRecord('demo.requests', request.user, JSON.stringify(request));
      });
      await writer.send(records);
      sent += wave;
      say(`requests sent ${sent}/${REQUESTS}; consumed: ${consumed()}`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - waveStarted))));
    }
  } finally {
    await writer.close();
  }
  // Every request becomes one impression in one arm: wait until both arms served them all.
  for (;;) {
    const stats = running.stats();
    const served = IMPRESSION_STAGES.reduce((sum, stage) => sum + Number(stats[stage]?.['written'] ?? 0), 0);
    const routed = Number(stats['split']?.['consumed'] ?? 0);
    if (routed >= REQUESTS && served >= REQUESTS) break;
    say(`waiting for the pipeline: ${served}/${REQUESTS} impressions served; consumed: ${consumed()}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const summary = running.stats();
  await running.stop();

  say('simulating clicks on the served impressions');
  const clickArgs = ['--clicks', 'demo.clicks', '--world', WORLD, '--ad-field', 'items.0.candidate.id', '--seed', seed];
  process.stderr.write(kascade(['simulate', 'clicks', '--impressions', 'demo.impressions.champion', '--impressions', 'demo.impressions.challenger', ...clickArgs]));
  say('comparing the arms');
  const report = kascade(['ctr', '--arm', 'champion=demo.impressions.champion', '--arm', 'challenger=demo.impressions.challenger', '--clicks', 'demo.clicks', '--weights', 'champion=50,challenger=50', '--from', from]);
  process.stdout.write(report);
  const perStage = Object.entries(summary).map(([stage, stats]) => `${stage}: ${String(stats['consumed'] ?? 0)} in, ${String(stats['written'] ?? 0)} out, ${String(stats['deadLettered'] ?? 0)} dead-lettered`);
  process.stdout.write(`\nstages: ${perStage.join('; ')}\n`);
  process.stdout.write(`finished in ${Math.round((Date.now() - started) / 1000)} s (the world's expected CTRs per arm are in models/README.md). The stack is still up: npm run stack:down stops it.\n`);
}

main().then(
  () => {
    process.exitCode = 0;
    setTimeout(() => process.exit(0), 2000).unref();
  },
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 2000).unref();
  },
);
