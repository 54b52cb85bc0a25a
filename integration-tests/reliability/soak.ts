/**
 * `npm run soak -- --minutes N [--rate R]`: the demo topology (topologies/demo.yaml), one
 * `kascade run --stage` process per stage as deployed, fed demo-world requests at a steady rate
 * for N minutes. Every minute it prints each process's resident memory and each stage's
 * consumer lag; at the end it drains, counts requests in against impressions out (missing,
 * duplicated, dead-lettered, by request id) and writes a JSON report to bench/results/.
 * Not part of any test run: it takes as long as asked. Starts the local stack if needed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectionFromEnv } from '../../src/config/connection.js';
import { loadDemoWorld, worldRequest } from '../../src/experiments/demo-world.js';
import { createKafka, createProducer } from '../../src/kafka/kafkajs/client.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';
import { stackDown, stackUp } from '../../scripts/stack/lifecycle.js';
import { PROJECT_ROOT } from '../../scripts/stack/paths.js';
import { servicesToStart } from '../../scripts/stack/services-to-start.js';
import { readAll } from '../helpers/read-topic.js';
import { StageProcess } from '../helpers/stage-process.js';

const TOPOLOGY = 'topologies/demo.yaml';
const STAGES = ['split', 'candidates-champion', 'rank-champion', 'pick-champion', 'candidates-challenger', 'rank-challenger', 'pick-challenger'] as const;
const IMPRESSIONS = ['demo.impressions.champion', 'demo.impressions.challenger'];
const USERS = 20_000;

const say = (line: string): void => {
  process.stderr.write(`soak: ${line}\n`);
};

function residentMegabytes(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Math.round(Number(match[1]) / 1024);
}

interface Sample {
  readonly minute: number;
  readonly sent: number;
  readonly rssMb: Record<string, number>;
  readonly lag: Record<string, number>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, rate: { type: 'string', default: '100' } } });
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  if (!(minutes > 0) || !(rate > 0)) throw new Error('--minutes and --rate must be positive numbers');

  const started = await stackUp(say, await servicesToStart());
  const connection = connectionFromEnv();
  const kafka = createKafka(connection, { clientId: 'kascade-soak', logLevel: 'error' });
  const admin = kafka.admin();
  const producer = createProducer(kafka);
  const processes = new Map<string, StageProcess>();
  const seed = `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const samples: Sample[] = [];
  let sent = 0;
  try {
    const topics = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'topics', TOPOLOGY], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    if (topics.status !== 0) throw new Error(`kascade topics failed: ${topics.stderr}`);
    for (const stage of STAGES) processes.set(stage, await StageProcess.start([TOPOLOGY, '--stage', stage], { KASCADE_METRICS_PORT: '0' }, 1));
    say(`${STAGES.length} stage processes running; sending ${rate} requests/s for ${minutes} min (seed ${seed})`);
    await Promise.all([admin.connect(), producer.connect()]);
    const world = loadDemoWorld(join(PROJECT_ROOT, 'models/demo-world.json'));
    const begin = Date.now();
    let nextSample = begin + 60_000;
    while (Date.now() - begin < minutes * 60_000) {
      const due = Math.floor(((Date.now() - begin) / 1000) * rate);
      if (sent < due) {
        const count = Math.min(due - sent, rate);
        const messages = Array.from({ length: count }, (_, offset) => {
          const request = worldRequest(world, seed, sent + offset, USERS);
          return { key: request.user, value: JSON.stringify(request) };
        });
        await producer.send({ topic: 'demo.requests', messages });
        sent += count;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (Date.now() >= nextSample) {
        nextSample += 60_000;
        samples.push(await sample(samples.length + 1));
      }
    }
    say(`sent ${sent} requests; draining`);
    await drain();
    samples.push(await sample(samples.length + 1));
  } finally {
    await Promise.all([...processes.values()].filter((stage) => stage.running).map((stage) => stage.kill('SIGTERM')));
    await producer.disconnect().catch(() => undefined);
  }
  const counts = await countImpressions();
  await admin.disconnect();
  const report = { seed, minutes, rate, sent, samples, counts, rssGrowth: rssGrowth(samples) };
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${seed}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  say(`requests ${sent}, impressions ${counts.impressions}, missing ${counts.missing}, duplicated ${counts.duplicated}, dead-lettered ${counts.deadLettered}`);
  say(`resident memory, first sample -> last: ${Object.entries(report.rssGrowth).map(([stage, [first, last]]) => `${stage} ${first} -> ${last} MB`).join(', ')}`);
  say(`report in ${file}`);
  await stackDown(say, started);

  async function sample(minute: number): Promise<Sample> {
    const rssMb: Record<string, number> = {};
    const lag: Record<string, number> = {};
    for (const stage of STAGES) {
      rssMb[stage] = residentMegabytes(processes.get(stage)?.pid);
      lag[stage] = await groupLag(`demo.${stage}`);
    }
    say(`minute ${minute}: sent ${sent}; RSS MB ${JSON.stringify(rssMb)}; lag ${JSON.stringify(lag)}`);
    return { minute, sent, rssMb, lag };
  }

  async function groupLag(group: string): Promise<number> {
    const committed = await admin.fetchOffsets({ groupId: group });
    let total = 0;
    for (const { topic, partitions } of committed) {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, Number(entry.high)]));
      for (const { partition, offset } of partitions) total += Math.max(0, (ends.get(partition) ?? 0) - Math.max(0, Number(offset)));
    }
    return total;
  }

  async function drain(): Promise<void> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const lags = await Promise.all(STAGES.map((stage) => groupLag(`demo.${stage}`)));
      if (lags.every((lag) => lag === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    say('the pipeline did not drain within 3 minutes; counting what is there');
  }

  async function countImpressions(): Promise<{ impressions: number; missing: number; duplicated: number; deadLettered: number }> {
    const registry = createSchemaRegistry(connection);
    const seen = new Map<string, number>();
    for (const topic of IMPRESSIONS) {
      for (const record of await readAll(kafka, topic)) {
        if (record.value === null) continue;
        const { id } = (await registry.decode(record.value)) as { id: string };
        if (id.startsWith(`${seed}-`)) seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    let deadLettered = 0;
    const listed = await admin.listTopics();
    for (const topic of listed.filter((name) => name.startsWith('demo.') && name.endsWith('.dlq'))) {
      deadLettered += (await readAll(kafka, topic)).filter((record) => record.value?.toString('utf8').includes(seed) === true).length;
    }
    let missing = 0;
    for (let index = 0; index < sent; index += 1) if (!seen.has(`${seed}-${index}`)) missing += 1;
    const duplicated = [...seen.values()].filter((count) => count > 1).length;
    return { impressions: [...seen.values()].reduce((sum, count) => sum + count, 0), missing, duplicated, deadLettered };
  }
}

function rssGrowth(samples: readonly Sample[]): Record<string, [number, number]> {
  const first = samples[0]?.rssMb ?? {};
  const last = samples.at(-1)?.rssMb ?? {};
  return Object.fromEntries(Object.keys(first).map((stage) => [stage, [first[stage] ?? NaN, last[stage] ?? NaN]]));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
