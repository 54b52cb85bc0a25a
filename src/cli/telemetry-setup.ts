import { metrics, propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface MetricsSetup {
  /** Serves the Prometheus text format. */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry metrics SDK for `kascade run`, read by a Prometheus exporter whose handler
 * the process's health server mounts at /metrics (the exporter's own server stays off). Set up
 * before the stages start: the API's meters are no-ops until a provider is registered.
 */
export function setUpMetrics(): MetricsSetup {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  // The event loop's p99 delay since the previous scrape: what a blocking model run would show.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  provider
    .getMeter('kascade')
    .createObservableGauge('kascade.eventloop.delay.p99', { description: 'Event-loop delay, 99th percentile since the previous collection, milliseconds', unit: 'ms' })
    .addCallback((result) => {
      result.observe(delay.percentile(99) / 1e6);
      delay.reset();
    });
  return {
    handler: (request, response) => {
      exporter.getMetricsRequestHandler(request, response);
    },
    shutdown: async () => {
      delay.disable();
      await provider.shutdown();
    },
  };
}

/**
 * W3C trace context in Kafka headers: stages continue the trace each record arrived with and
 * pass it on. No tracer provider is registered here (no exporter, no network): spans are
 * non-recording and the incoming context travels unchanged to the outputs.
 */
export function setUpTracePropagation(): void {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}
