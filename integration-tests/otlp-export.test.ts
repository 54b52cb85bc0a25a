import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { InferenceFixture, INFERENCE_FILE, requests } from './helpers/in-process.js';
import { testKafka } from './helpers/kafka.js';
import { attributeOf, OtlpReceiver } from './helpers/otlp-receiver.js';
import { waitForRecords } from './helpers/read-topic.js';
import { StageProcess } from './helpers/stage-process.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('otlp');

const PROTOCOLS = [
  { name: 'http/protobuf (the default)', env: {}, contentType: 'application/x-protobuf' },
  { name: 'http/json', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, contentType: 'application/json' },
] as const;

for (const protocol of PROTOCOLS) {
test(`kascade run exports spans and metrics over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, continuing the producers' traces: ${protocol.name}`, async () => {
  const receiver = await OtlpReceiver.start();
  const fixture = new InferenceFixture();
  await fixture.load();
  const sent = requests(300, ['u0', 'u1', 'u2']);
  // Each request arrives with its own trace, as if an upstream service had traced it.
  const upstream = new Map(sent.map((request) => [request.id, { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') }]));
  await fixture.produce(kafka, fixture.topic('requests'), sent, true, (request) => {
    const parent = upstream.get(request.id);
    return parent === undefined ? {} : { traceparent: `00-${parent.traceId}-${parent.spanId}-01` };
  });
  const stage = StageProcess.launch([INFERENCE_FILE, '--stage', 'score', '--metrics-port', '0'], {
    ...fixture.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_SERVICE_NAME: 'scoring-service',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    ...protocol.env,
  });
  try {
    await waitForRecords(kafka, fixture.topic('predictions'), sent.length);
    const recordSpans = (): typeof receiver.spans => receiver.spans.filter(({ span }) => span.name === 'score record');
    await waitFor(() => recordSpans().length >= sent.length, { what: () => `${String(sent.length)} record spans (received ${String(recordSpans().length)})`, timeoutMs: 30_000 });
    const spans = recordSpans();
    assert.equal(spans.length, sent.length, 'one span per record, none twice');
    for (const { span, resource } of spans) {
      const id = attributeOf(span.attributes, 'kascade.request_id') ?? '';
      const parent = upstream.get(id);
      assert.ok(parent !== undefined, `span of an unknown request ${id}`);
      assert.equal(span.traceId, parent.traceId, `request ${id} continues its producer's trace`);
      assert.equal(span.parentSpanId, parent.spanId, `request ${id}'s span is a child of the producer's span`);
      assert.equal(attributeOf(span.attributes, 'kascade.model.id'), 'ctr-logreg');
      assert.equal(attributeOf(span.attributes, 'messaging.system'), 'kafka');
      assert.equal(attributeOf(resource, 'service.name'), 'scoring-service');
      assert.equal(attributeOf(resource, 'deployment.environment'), 'test');
      assert.equal(attributeOf(resource, 'kascade.stages'), 'score');
    }
    // A chunk's batch span ends when its produce is acknowledged, after its record spans: it may come in a later export.
    await waitFor(() => receiver.spans.some(({ span }) => span.name === 'score process'), { what: 'batch spans exported too', timeoutMs: 30_000 });
    assert.deepEqual([...receiver.contentTypes], [protocol.contentType]);

    const topic = fixture.topic('requests');
    await waitFor(() => receiver.counter('kascade.records.in', { stage: 'score', topic }) === sent.length, {
      what: () => `kascade.records.in = ${String(sent.length)} pushed over OTLP (latest ${String(receiver.counter('kascade.records.in', { stage: 'score', topic }))})`,
      timeoutMs: 30_000,
    });
    assert.equal(receiver.histogramCount('kascade.end_to_end.latency', { stage: 'score' }), sent.length);
  } finally {
    await stage.kill('SIGTERM');
    await receiver.close();
  }
  assert.equal((await stage.exited).code, 0);
  assert.ok(!stage.output.some((line) => line.includes('opentelemetry:')), `no export warnings:\n${stage.output.filter((line) => line.includes('opentelemetry')).join('\n')}`);
});
}
