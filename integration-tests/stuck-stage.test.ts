import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { platformaticTransport } from '../src/kafka/platformatic/platformatic-transport.js';
import { StageEngine } from '../src/runtime/delivery/stage-engine.js';
import type { StageHandler } from '../src/runtime/stage-handler.js';
import { StagePipeline } from '../src/runtime/stage-pipeline.js';
import { createJsonSerde } from '../src/serde/json-serde.js';
import { startHealthServer } from '../src/telemetry/health-server.js';
import { jsonLogger, silentLogger } from '../src/telemetry/logger.js';
import { StageHealthBoard } from '../src/telemetry/stage-health.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { produceRaw } from './helpers/raw-produce.js';
import { connection, createTopic, testKafka, uniqueName } from './helpers/kafka.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('stuck-stage');
const STUCK_AFTER_MS = 10_000;

let closeServer: (() => Promise<void>) | undefined;
let release: () => void = () => undefined;
after(async () => {
  release();
  await closeServer?.();
});

test('a stage that stops making progress with records waiting restarts its client, then fails: /healthz turns 503 within the configured time', async () => {
  const input = uniqueName('stuck.in');
  await createTopic(kafka, input, 1);
  await createTopic(kafka, `${input}.out`, 1);
  const hung = new Promise<void>((resolve) => (release = resolve));
  // The 50th record hangs its model call forever, as a wedged inference server would.
  const handler: StageHandler = {
    process: async (records) => {
      if (records.some((record) => (record.value as { n: number }).n === 50)) await hung;
      return records.map((record) => ({ outputs: [{ topic: `${input}.out`, key: record.keyBytes, value: record.value }] }));
    },
  };
  const json = createJsonSerde();
  const pipeline = new StagePipeline({ stage: 'stuck', handler, serdeFor: () => json, keyDecoderFor: () => undefined, onError: 'dlq', deadLetterTopic: `${input}.dlq`, clock: new ManualClock() });
  const groupId = uniqueName('stuck.group');
  const board = new StageHealthBoard();
  const transport = platformaticTransport({ connection, stage: 'stuck', groupId, inputs: [input], delivery: 'at-least-once', tuning: { maxBatchSize: 10 } });
  const engine = new StageEngine({
    stage: 'stuck',
    delivery: 'at-least-once',
    pipeline,
    transport,
    logger: process.env['DEBUG_STUCK'] === undefined ? silentLogger : jsonLogger('debug'),
    maxBatchSize: 10,
    watchdog: { sessionTimeoutMs: 30_000, stuckAfterMs: STUCK_AFTER_MS, checkEveryMs: 500, board },
  });
  const server = await startHealthServer({ port: 0, ready: () => true, stages: () => board.stages() });
  closeServer = () => server.close();
  await engine.start();
  await produceRaw(
    input,
    Array.from({ length: 200 }, (_, n) => ({ key: Buffer.from(`k${n % 5}`), value: Buffer.from(JSON.stringify({ n })), headers: [] })),
  );
  const healthz = async (): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    return { status: response.status, body: await response.text() };
  };
  assert.equal((await healthz()).status, 200, 'healthy while it works');
  const stuckSince = Date.now();
  let last = { status: 0, body: '' };
  await waitFor(
    async () => {
      last = await healthz();
      return last.status === 503;
    },
    { what: () => `/healthz to answer 503 (last ${last.status} ${last.body})`, timeoutMs: 4 * STUCK_AFTER_MS + 20_000, intervalMs: 250 },
  );
  const seconds = (Date.now() - stuckSince) / 1000;
  assert.match(last.body, /stuck/, 'the reason names the stuck stage');
  const exit = await engine.exited;
  assert.ok(exit.kind === 'failed', 'the stage failed');
  assert.match(exit.error.message, /no progress|stuck/i);
  // One stuckAfterMs to restart its client, one more to give up, plus the checks' granularity.
  assert.ok(seconds >= STUCK_AFTER_MS / 1000, `not before the configured time (${seconds} s)`);
});
