import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { CtrReport } from '../src/experiments/ctr/ctr-report.js';
import { testKafka } from './helpers/kafka.js';
import { StageProcess } from './helpers/stage-process.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('ab-experiment');
const FILE = 'integration-tests/fixtures/ab-test.yaml';

function kascade(args: readonly string[], env: Readonly<Record<string, string>>): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`kascade ${args.join(' ')} exited ${String(result.status)}:\n${result.stderr}`);
  return result.stdout;
}

async function totalRecords(topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
    return offsets.flat().reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

interface Experiment {
  readonly requests: number;
  readonly ctr: { champion: number; challenger: number };
  readonly routerWeights?: { champion: number; challenger: number };
  readonly seed: string;
}

/**
 * The whole loop as a user runs it: simulated requests -> router -> champion and challenger
 * models -> impressions; simulated clicks from the hidden click model; then `kascade ctr --json`.
 */
async function runExperiment(experiment: Experiment): Promise<CtrReport> {
  const run = `ab${randomUUID().slice(0, 8)}`;
  const env = {
    KASCADE_RUN: run,
    // The seed also names the experiment: arms are hashed from it, so a seed is one fixed draw.
    KASCADE_SEED: experiment.seed,
    KASCADE_CHAMPION_WEIGHT: String(experiment.routerWeights?.champion ?? 50),
    KASCADE_CHALLENGER_WEIGHT: String(experiment.routerWeights?.challenger ?? 50),
  };
  kascade(['topics', FILE], env);
  kascade(['simulate', 'requests', '--topic', `${run}.requests`, '--requests', String(experiment.requests), '--users', '20000', '--seed', experiment.seed], env);
  const impressions = [`${run}.impressions.champion`, `${run}.impressions.challenger`];
  const stages = await StageProcess.start([FILE], env, 3);
  try {
    await waitFor(async () => (await totalRecords(impressions)) >= experiment.requests, { what: `${experiment.requests} impressions`, timeoutMs: 300_000, intervalMs: 500 });
  } finally {
    await stages.kill('SIGTERM');
  }
  assert.equal(await totalRecords(impressions), experiment.requests, 'one impression per request');
  const ctr = `champion=${experiment.ctr.champion},challenger=${experiment.ctr.challenger}`;
  kascade(['simulate', 'clicks', '--impressions', impressions[0]!, '--impressions', impressions[1]!, '--clicks', `${run}.clicks`, '--ctr', ctr, '--seed', experiment.seed], env);
  const report = kascade(
    ['ctr', '--arm', `champion=${impressions[0]!}`, '--arm', `challenger=${impressions[1]!}`, '--clicks', `${run}.clicks`, '--weights', 'champion=50,challenger=50', '--json'],
    env,
  );
  return JSON.parse(report) as CtrReport;
}

function arm(report: CtrReport, name: string) {
  const found = report.arms.find((candidate) => candidate.name === name);
  assert.ok(found !== undefined, `arm ${name} in the report`);
  return found;
}

test('simulated traffic with true CTRs 3.0% vs 3.6%: the challenger wins (p < 0.01) and both true CTRs are inside their intervals', async (t) => {
  const report = await runExperiment({ requests: 200_000, ctr: { champion: 0.03, challenger: 0.036 }, seed: 'uplift' });
  const champion = arm(report, 'champion');
  const challenger = arm(report, 'challenger');
  t.diagnostic(`impressions ${champion.impressions} / ${challenger.impressions}; CTR ${champion.ctr} vs ${challenger.ctr}; verdict ${report.verdict}`);
  assert.equal(champion.impressions + challenger.impressions, 200_000);
  const comparison = report.comparisons[0]!;
  assert.equal(report.verdict, 'challenger-better');
  assert.ok(comparison.fixedHorizonPValue !== null && comparison.fixedHorizonPValue < 0.01, `p = ${String(comparison.fixedHorizonPValue)}`);
  for (const [entry, truth] of [[champion, 0.03], [challenger, 0.036]] as const) {
    const interval = entry.clustered ?? entry.wilson;
    assert.ok(interval !== null && interval.low <= truth && truth <= interval.high, `${entry.name}: ${truth} in [${String(interval?.low)}, ${String(interval?.high)}]`);
  }
  assert.equal(report.srm.checked && report.srm.mismatch, false, 'a 50/50 router passes the sample-ratio check');
  assert.equal(report.clicks.orphans, 0);
});

test('equal true CTRs: no winner is claimed', async () => {
  const report = await runExperiment({ requests: 60_000, ctr: { champion: 0.033, challenger: 0.033 }, seed: 'equal' });
  assert.equal(report.verdict, 'no-difference-yet');
});

test('a router skewed to 55/45 while the analysis expects 50/50 raises the sample-ratio alarm', async () => {
  const report = await runExperiment({ requests: 60_000, ctr: { champion: 0.033, challenger: 0.033 }, routerWeights: { champion: 55, challenger: 45 }, seed: 'skew' });
  assert.ok(report.srm.checked, 'SRM was checked');
  assert.equal(report.srm.mismatch, true);
  assert.ok(report.srm.pValue < 0.001, `SRM p = ${report.srm.pValue}`);
});
