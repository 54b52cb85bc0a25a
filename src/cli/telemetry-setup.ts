import { metrics, propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { IncomingMessage, ServerResponse } from 'node:http';

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
  return {
    handler: (request, response) => {
      exporter.getMetricsRequestHandler(request, response);
    },
    shutdown: () => provider.shutdown(),
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
