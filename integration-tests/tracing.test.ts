import assert from 'node:assert/strict';
import { test } from 'node:test';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { runTopology } from '../src/kafka/topology-runner.js';
import { createHttpSchemaRegistryClient } from '../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../src/serde/serde-factory.js';
import { jsonLogger } from '../src/telemetry/logger.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { TransformRegistry } from '../src/transforms/transform-registry.js';
import transforms from './fixtures/transforms.js';
import { connection, testKafka } from './helpers/kafka.js';
import { PIPELINE_FILE, PipelineFixture } from './helpers/pipeline-fixture.js';
import { waitForRecords } from './helpers/read-topic.js';

const kafka = testKafka('tracing');

test('a request is one trace across a two-stage cascade on the broker: batch spans link the records, record spans chain stage to stage', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    const fixture = new PipelineFixture();
    fixture.createTopics();
    const requests = PipelineFixture.requests(200, 10);
    await fixture.produce(kafka, requests);
    const { spec, baseDir } = await loadTopologyFile(PIPELINE_FILE, { env: { ...process.env, ...fixture.env } });
    const registry = new TransformRegistry();
    for (const [name, transform] of Object.entries(transforms)) registry.register(name, transform);
    const running = await runTopology({
      spec,
      connection,
      serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir }),
      plugins: { transforms: registry },
      logger: jsonLogger('error', {}, () => undefined),
    });
    try {
      await waitForRecords(kafka, fixture.labelled, requests.length);
    } finally {
      await running.stop();
    }
    const spans = exporter.getFinishedSpans();
    const recordSpans = (stage: string): Map<string, (typeof spans)[number]> =>
      new Map(spans.filter((span) => span.name === `${stage} record`).map((span) => [String(span.attributes['kascade.request_id']), span]));
    const scored = recordSpans('score');
    const labelled = recordSpans('label');
    assert.equal(scored.size, requests.length);
    assert.equal(labelled.size, requests.length);
    for (const request of requests) {
      const first = scored.get(request.id);
      const second = labelled.get(request.id);
      assert.ok(first && second, request.id);
      assert.equal(second.spanContext().traceId, first.spanContext().traceId, `${request.id}: one trace`);
      assert.equal(second.parentSpanContext?.spanId, first.spanContext().spanId, `${request.id}: label continues score`);
      assert.equal(first.attributes['messaging.system'], 'kafka');
      assert.equal(first.attributes['messaging.destination.name'], fixture.requests);
      assert.equal(second.attributes['messaging.destination.name'], fixture.scored);
      assert.equal(second.attributes['messaging.consumer.group.name'], fixture.group('label'));
      assert.equal(typeof second.attributes['messaging.kafka.offset'], 'string');
      assert.equal(second.attributes['kascade.stage'], 'label');
    }
    const batches = spans.filter((span) => span.name === 'label process');
    assert.ok(batches.length > 0);
    assert.equal(
      batches.reduce((sum, span) => sum + Number(span.attributes['kascade.batch.size']), 0),
      requests.length,
    );
    const linked = new Set(batches.flatMap((span) => span.links.map((link) => link.context.spanId)));
    for (const span of scored.values()) assert.ok(linked.has(span.spanContext().spanId), 'the batch span links each record it processed');
  } finally {
    trace.disable();
    propagation.disable();
    await provider.shutdown();
  }
});
