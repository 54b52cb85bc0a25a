import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { OtlpSpanSerializer } from '../../src/cli/otlp-span-serializer.js';

/** Spans recorded by a real SDK tracer provider with the given resource attributes. */
function recorder(resource: Attributes): { readonly provider: TracerProvider; readonly spans: () => Promise<ReadableSpan[]> } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes(resource), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  // The simple processor hands ended spans over asynchronously: flush first.
  return { provider, spans: async () => (await provider.forceFlush(), exporter.getFinishedSpans()) };
}

const REMOTE_PARENT = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=one,other=two'),
});

const EVERY_KIND_OF_VALUE: Attributes = {
  'messaging.system': 'kafka',
  empty: '',
  unicode: 'grüße ✓ 𝄞',
  long: 'x'.repeat(300),
  zero: 0,
  small: 127,
  varint2: 128,
  int32: 2 ** 31,
  large: 2 ** 40 + 7,
  negative: -1,
  negativeLarge: -(2 ** 40) - 3,
  fraction: 0.5,
  negativeFraction: -1.25,
  infinite: Infinity,
  yes: true,
  no: false,
  strings: ['a', 'ü', ''],
  numbers: [1, -2, 3.5],
  booleans: [true, false],
};

async function recordedSpans(): Promise<ReadableSpan[]> {
  const { provider, spans } = recorder({ 'service.name': 'serializer-test', 'service.namespace': 'kascade', count: 3 });
  const tracer = provider.getTracer('kascade', '1.2.3');
  const other = provider.getTracer('another-scope');
  tracer.startSpan('plain').end();
  const child = tracer.startSpan('child of a remote parent', { kind: SpanKind.CONSUMER, attributes: EVERY_KIND_OF_VALUE }, REMOTE_PARENT);
  child.addEvent('an event', { detail: 'with attributes', n: 3 });
  child.addEvent('a bare event');
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'décodage échoué' });
  child.end();
  const linked = tracer.startSpan('batch', {
    kind: SpanKind.PRODUCER,
    links: [{ context: trace.getSpanContext(REMOTE_PARENT) ?? assert.fail('no context'), attributes: { why: 'batched' } }, { context: child.spanContext() }],
  });
  linked.setStatus({ code: SpanStatusCode.OK });
  linked.end();
  context.with(trace.setSpan(ROOT_CONTEXT, linked), () => other.startSpan('local child', { kind: SpanKind.CLIENT }).end());
  // Enough spans to grow the writer's buffer, and per-record values past the cache's limit per key.
  for (let index = 0; index < 700; index++) {
    tracer.startSpan(`record ${String(index % 3)}`, { kind: SpanKind.INTERNAL, attributes: { 'kascade.stage': 'small', 'kascade.request_id': `request-${String(index)}`, 'messaging.kafka.offset': String(index), 'kascade.queue_wait_ms': index * 3 } }, REMOTE_PARENT).end();
  }
  const second = recorder({ 'service.name': 'second-resource' });
  second.provider.getTracer('kascade').startSpan('from another resource').end();
  return [...(await spans()), ...(await second.spans())];
}

const sdkBytes = (spans: ReadableSpan[]): Buffer => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? assert.fail('the SDK serialised nothing'));

test('the request is byte for byte what the SDK serialiser writes: every attribute type, events, links, status, trace state, two scopes and two resources', async () => {
  const spans = await recordedSpans();
  const serializer = new OtlpSpanSerializer();
  const first = Buffer.from(serializer.serializeRequest(spans));
  assert.ok(first.length > 64 * 1024, 'the request outgrows the initial buffer');
  assert.ok(first.equals(sdkBytes(spans)));
  // Again, now from its caches (resource, scopes, recurring attribute values).
  assert.ok(Buffer.from(serializer.serializeRequest(spans)).equals(first));
  // A smaller request afterwards is not polluted by the larger one before it.
  const few = spans.slice(0, 3);
  assert.ok(Buffer.from(serializer.serializeRequest(few)).equals(sdkBytes(few)));
});

test('a returned request keeps its bytes when the serialiser writes the next one', async () => {
  const spans = await recordedSpans();
  const serializer = new OtlpSpanSerializer();
  const first = serializer.serializeRequest(spans.slice(0, 10));
  const copy = Buffer.from(first);
  serializer.serializeRequest(spans.slice(10, 20));
  assert.ok(Buffer.from(first).equals(copy));
});

test('times are exact nanoseconds at the edges of their range, as the SDK writes them', async () => {
  const [template] = await recordedSpans();
  assert.ok(template !== undefined);
  const times: HrTime[] = [
    [0, 0],
    [1, 999_999_999],
    [65_535, 999_999_999],
    [65_536, 1],
    [1_764_000_000, 123_456_789],
    [1_764_000_000, 999_999_999],
    [1_764_000_001, 0],
    [4_294_967_295, 999_999_999],
  ];
  const spans = times.map((time): ReadableSpan => ({ ...template, spanContext: template.spanContext, startTime: time, endTime: time }));
  assert.ok(Buffer.from(new OtlpSpanSerializer().serializeRequest(spans)).equals(sdkBytes(spans)));
});

test('bytes, maps and nested arrays are written as the SDK writes them', async () => {
  const [template] = await recordedSpans();
  assert.ok(template !== undefined);
  const attributes: Attributes = {
    bytes: new Uint8Array([0, 1, 255]),
    map: { 'kascade.stage': 'small', nested: { deeper: [1, 'two', null] }, nothing: null },
    nested: [[1, 2], ['a']],
    holes: [undefined, 'x'],
  };
  const spans = [{ ...template, spanContext: template.spanContext, attributes }];
  assert.ok(Buffer.from(new OtlpSpanSerializer().serializeRequest(spans)).equals(sdkBytes(spans)));
});

test('the response is read as the SDK reads it', () => {
  const serializer = new OtlpSpanSerializer();
  assert.deepEqual(serializer.deserializeResponse(new Uint8Array()), ProtobufTraceSerializer.deserializeResponse(new Uint8Array()));
});
