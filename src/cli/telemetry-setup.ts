import { diag, DiagLogLevel, metrics, propagation, trace, type DiagLogFunction } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter as OtlpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, resourceAttributesEnvDetector, resourceFromAttributes, serviceNameEnvDetector, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '../telemetry/logger.js';
import { ProtobufSpanExporter } from './otlp-span-exporter.js';
import type { OtelSettings, SamplerName } from './otel-environment.js';

export type MetricsHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface TelemetrySetup {
  /** Serves the Prometheus text format; undefined when /metrics is off. */
  readonly metricsHandler: MetricsHandler | undefined;
  /** Flushes what is still buffered (spans, a last metrics push) and stops the SDK. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  readonly settings: OtelSettings;
  /** Serve Prometheus /metrics (false with --no-metrics). */
  readonly prometheus: boolean;
  /** The stages this process runs: the default service name and a resource attribute. */
  readonly stages: readonly string[];
  readonly logger: Logger;
}

/**
 * The OpenTelemetry SDK of `kascade run`; the library itself only talks to the API. W3C trace
 * context always travels through Kafka headers. A tracer provider is registered only when spans
 * are exported, so without one spans stay non-recording; a meter provider only when something
 * reads metrics (/metrics or an OTLP push). Export needs an endpoint: nothing set, no network.
 */
export function setUpTelemetry(options: TelemetryOptions): TelemetrySetup {
  const { settings, logger } = options;
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (settings.traces !== undefined || settings.metrics !== undefined) routeDiagnostics(logger);
  const resource = serviceResource(options);
  const stops: (() => Promise<void>)[] = [];

  if (settings.traces !== undefined) {
    const provider = new TracerProvider({
      resource,
      sampler: samplerFor(settings.traces.sampler, settings.traces.ratio),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: settings.traces.protocol === 'http/json' ? new OtlpJsonTraceExporter() : new ProtobufSpanExporter(),
          scheduledDelayMillis: settings.traces.scheduleDelayMs,
          maxQueueSize: settings.traces.maxQueueSize,
          maxExportBatchSize: settings.traces.maxExportBatchSize,
          exportTimeoutMillis: settings.traces.exportTimeoutMs,
        }),
      ],
    });
    trace.setGlobalTracerProvider(provider);
    stops.push(() => provider.shutdown());
    logger.info('exporting traces over OTLP', { protocol: settings.traces.protocol, sampler: settings.traces.sampler, ratio: settings.traces.ratio });
  }

  const readers: IMetricReader[] = [];
  const prometheus = options.prometheus ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  if (prometheus !== undefined) readers.push(prometheus);
  if (settings.metrics !== undefined) {
    const exporter = settings.metrics.protocol === 'http/json' ? new OtlpJsonMetricExporter() : new OtlpProtobufMetricExporter();
    readers.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: settings.metrics.intervalMs, exportTimeoutMillis: Math.min(30_000, settings.metrics.intervalMs) }));
    logger.info('exporting metrics over OTLP', { protocol: settings.metrics.protocol, intervalMs: settings.metrics.intervalMs });
  }
  if (readers.length > 0) {
    const provider = new MeterProvider({ resource, readers });
    metrics.setGlobalMeterProvider(provider);
    stops.push(observeEventLoopDelay(provider), () => provider.shutdown());
  }

  return {
    metricsHandler: prometheus === undefined ? undefined : (request, response) => prometheus.getMetricsRequestHandler(request, response),
    shutdown: async () => {
      for (const stop of stops) await stop().catch((error: unknown) => logger.warn('telemetry shutdown', { error: error instanceof Error ? error.message : String(error) }));
    },
  };
}

function serviceResource(options: TelemetryOptions): Resource {
  const own = resourceFromAttributes({
    'service.name': options.settings.serviceName ?? 'kascade',
    'service.namespace': 'kascade',
    'kascade.stages': options.stages.join(','),
  });
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win over the defaults above.
  return own.merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }));
}

function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** How often Node's event-loop histogram samples, ms. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * The p99 event-loop delay since the previous collection: what a blocking model run would show.
 * Node's histogram records the time between its timer's runs, so an idle loop reads about the
 * resolution (10 ms); the delay is what comes on top of it.
 */
function observeEventLoopDelay(provider: MeterProvider): () => Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  delay.enable();
  provider
    .getMeter('kascade')
    .createObservableGauge('kascade.eventloop.delay.p99', { description: 'Event-loop delay, 99th percentile since the previous collection, milliseconds', unit: 'ms' })
    .addCallback((result) => {
      result.observe(Math.max(0, delay.percentile(99) / 1e6 - EVENT_LOOP_RESOLUTION_MS));
      delay.reset();
    });
  return () => {
    delay.disable();
    return Promise.resolve();
  };
}

/** The SDK's own warnings (an endpoint that refuses exports) in the process's log, without their arguments. */
function routeDiagnostics(logger: Logger): void {
  const warn: DiagLogFunction = (message) => logger.warn(`opentelemetry: ${message}`);
  const ignore: DiagLogFunction = () => undefined;
  diag.setLogger({ error: warn, warn, info: ignore, debug: ignore, verbose: ignore }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
