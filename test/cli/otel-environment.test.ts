import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/command.js';
import { readOtelEnvironment } from '../../src/cli/otel-environment.js';

test('with no OpenTelemetry variables nothing is exported (no exporter, so no network)', () => {
  assert.deepEqual(readOtelEnvironment({}), { traces: undefined, metrics: undefined, serviceName: undefined });
  assert.deepEqual(readOtelEnvironment({ OTEL_SERVICE_NAME: 'svc', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), { traces: undefined, metrics: undefined, serviceName: 'svc' });
});

test('an OTLP endpoint turns on both signals with the standard defaults', () => {
  const settings = readOtelEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
  assert.deepEqual(settings.traces, {
    protocol: 'http/protobuf',
    sampler: 'parentbased_always_on',
    ratio: 1,
    scheduleDelayMs: 5000,
    maxQueueSize: 8192,
    maxExportBatchSize: 512,
    exportTimeoutMs: 30_000,
  });
  assert.deepEqual(settings.metrics, { protocol: 'http/protobuf', intervalMs: 60_000 });
});

test('the OTLP protocol is chosen per signal, the signal\'s own variable first', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
  const json = readOtelEnvironment({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  assert.equal(json.traces?.protocol, 'http/json');
  assert.equal(json.metrics?.protocol, 'http/json');
  const mixed = readOtelEnvironment({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/PROTOBUF' });
  assert.equal(mixed.traces?.protocol, 'http/protobuf');
  assert.equal(mixed.metrics?.protocol, 'http/json');
});

test('per-signal endpoints and exporters choose each signal on its own', () => {
  const tracesOnly = readOtelEnvironment({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' });
  assert.notEqual(tracesOnly.traces, undefined);
  assert.equal(tracesOnly.metrics, undefined);
  const metricsOff = readOtelEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRICS_EXPORTER: 'prometheus' });
  assert.notEqual(metricsOff.traces, undefined);
  assert.equal(metricsOff.metrics, undefined);
  const explicit = readOtelEnvironment({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'none' });
  assert.notEqual(explicit.traces, undefined, 'otlp without an endpoint uses the exporter default (localhost:4318)');
  assert.equal(explicit.metrics, undefined);
});

test('OTEL_SDK_DISABLED wins over everything', () => {
  assert.deepEqual(readOtelEnvironment({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 's' }), {
    traces: undefined,
    metrics: undefined,
    serviceName: undefined,
  });
});

test('sampler, ratio and intervals are read', () => {
  const settings = readOtelEnvironment({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BSP_MAX_QUEUE_SIZE: '20000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
    OTEL_BSP_EXPORT_TIMEOUT: '10000',
    OTEL_METRIC_EXPORT_INTERVAL: '15000',
  });
  assert.deepEqual(settings.traces, {
    protocol: 'http/protobuf',
    sampler: 'parentbased_traceidratio',
    ratio: 0.25,
    scheduleDelayMs: 200,
    maxQueueSize: 20_000,
    maxExportBatchSize: 2048,
    exportTimeoutMs: 10_000,
  });
  assert.deepEqual(settings.metrics, { protocol: 'http/protobuf', intervalMs: 15_000 });
});

test('bad values are refused at start, naming the variable', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
  const cases: [Record<string, string>, RegExp][] = [
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /^OTEL_TRACES_EXPORTER=zipkin: kascade supports otlp, none/],
    [{ OTEL_METRICS_EXPORTER: 'otlp,statsd' }, /^OTEL_METRICS_EXPORTER=otlp,statsd: .*got statsd/],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /^OTEL_EXPORTER_OTLP_PROTOCOL=grpc: kascade exports OTLP over HTTP, as http\/protobuf or http\/json/],
    [{ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, /^OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=grpc/],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /^OTEL_TRACES_SAMPLER=sometimes: expected one of always_on/],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, /^OTEL_TRACES_SAMPLER_ARG=2: expected a ratio between 0 and 1/],
    [{ OTEL_BSP_SCHEDULE_DELAY: '-5' }, /^OTEL_BSP_SCHEDULE_DELAY=-5: expected a positive whole number of milliseconds/],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '1.5' }, /^OTEL_BSP_MAX_QUEUE_SIZE=1.5: expected a positive whole number of spans/],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '9000' }, /^OTEL_BSP_MAX_EXPORT_BATCH_SIZE=9000 is larger than OTEL_BSP_MAX_QUEUE_SIZE=8192/],
    [{ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }, /^OTEL_METRIC_EXPORT_INTERVAL=soon/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => readOtelEnvironment({ ...base, ...env }), (error: unknown) => error instanceof UsageError && message.test(error.message), JSON.stringify(env));
  }
  // A protocol for a signal that is off does not matter.
  assert.doesNotThrow(() => readOtelEnvironment({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }));
});
