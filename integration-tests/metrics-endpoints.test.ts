import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testKafka } from './helpers/kafka.js';
import { InferenceFixture, INFERENCE_FILE, requests } from './helpers/in-process.js';
import { waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('metrics');

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** The value of one Prometheus sample line, e.g. `kascade_records_in_total{stage="score",topic="x"} 1000`; `name` may be a pattern (unit suffixes). */
function sample(text: string, name: string | RegExp, labels: string): number | undefined {
  const matches = (candidate: string): boolean => {
    const metric = candidate.slice(0, candidate.indexOf('{'));
    return typeof name === 'string' ? metric === name : name.test(metric);
  };
  const line = text.split('\n').find((candidate) => candidate.includes('{') && matches(candidate) && candidate.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('a stage process serves /healthz, /readyz (ready only after its group join and model load) and /metrics with exact counts', async () => {
  const fixture = new InferenceFixture();
  await fixture.load();
  await fixture.produce(kafka, fixture.topic('requests'), requests(1000, ['u0', 'u1', 'u2', 'u3']));
  const stage = StageProcess.launch([INFERENCE_FILE, '--stage', 'score', '--metrics-port', '0'], fixture.env);
  try {
    await stage.waitForLog(/"msg":"endpoints listening"/);
    const port = Number(/"msg":"endpoints listening".*"port":(\d+)/.exec(stage.output.join('\n'))?.[1]);
    assert.ok(port > 0);
    assert.equal((await get(port, '/healthz')).status, 200);

    const seen: number[] = [];
    await waitFor(
      async () => {
        const { status } = await get(port, '/readyz');
        seen.push(status);
        // Ready must never come before the stage said it joined (models are loaded before that).
        if (status === 200) assert.ok(stage.output.some((line) => line.includes('"msg":"stage running"')), 'ready before the group join');
        return status === 200;
      },
      { what: () => `/readyz to answer 200 (seen ${seen.join(',')})`, timeoutMs: 60_000, intervalMs: 50 },
    );
    assert.equal(seen[0], 503, 'not ready at first');

    await waitForRecords(kafka, fixture.topic('predictions'), 1000);
    const topic = `topic="${fixture.topic('requests')}"`;
    let text = '';
    await waitFor(
      async () => {
        text = (await get(port, '/metrics')).body;
        return sample(text, 'kascade_records_in_total', topic) === 1000;
      },
      { what: () => `records in = 1000 on /metrics:\n${text.slice(0, 2000)}`, timeoutMs: 30_000, intervalMs: 100 },
    );
    assert.equal(sample(text, 'kascade_records_out_total', 'stage="score"'), 1000);
    assert.equal(sample(text, 'kascade_batch_size_sum', 'stage="score"'), 1000, 'every record in a batch');
    assert.equal(sample(text, 'kascade_records_dead_lettered_total', 'stage="score"'), undefined, 'no dead letters');
    assert.equal(sample(text, /^kascade_inference_duration(_milliseconds)?_count$/, 'model="ctr-logreg"'), 1000, 'one latency observation per record');
    assert.ok((sample(text, /^kascade_eventloop_delay_p99(_milliseconds)?$/, '') ?? -1) >= 0, 'event-loop delay is exported');
    assert.equal(sample(text, /^kascade_end_to_end_latency(_milliseconds)?_count$/, 'stage="score"'), 1000, 'one end-to-end latency observation per record');
    assert.equal(sample(text, 'kascade_model_loads_total', 'model="ctr-logreg"'), 1, 'the model is loaded once, at start');
    assert.equal(sample(text, 'kascade_model_evictions_total', 'model="ctr-logreg"'), undefined, 'never evicted');
    assert.ok((sample(text, 'kascade_model_hits_total', 'model="ctr-logreg"') ?? 0) >= 1000 / 64, 'every batch of at most 64 records is a cache hit');
    // @platformatic/kafka's own requests, from its diagnostics channels.
    const clientOperations = /^kascade_kafka_client_duration(_milliseconds)?_count$/;
    assert.ok((sample(text, clientOperations, 'operation="joinGroup"') ?? 0) >= 1, 'the group join is measured');
    assert.ok((sample(text, clientOperations, 'operation="send"') ?? 0) >= 1, 'produce requests are measured');
    const lags = text.split('\n').filter((line) => line.startsWith('kascade_consumer_lag{') && line.includes(topic));
    assert.ok(lags.length >= 1 && lags.length <= 3, `a lag per input partition that had records:\n${lags.join('\n')}`);
    for (const line of lags) assert.ok(line.endsWith(' 0'), `caught up: ${line}`);
    assert.equal((await get(port, '/nope')).status, 404);
  } finally {
    await stage.kill('SIGTERM');
  }
  assert.equal((await stage.exited).code, 0);
});
