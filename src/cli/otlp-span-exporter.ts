import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { OtlpSpanSerializer } from './otlp-span-serializer.js';

/**
 * The SDK's OTLP/HTTP protobuf span exporter (endpoint, headers, timeout, compression, retries,
 * all from the standard OTEL_EXPORTER_OTLP_* variables), writing its requests with kascade's
 * serializer: the same bytes for a fraction of the main thread's time.
 */
export class ProtobufSpanExporter extends OTLPExporterBase<ReadableSpan[]> {
  constructor() {
    super(
      createOtlpHttpExportDelegate(
        // The SDK's own OTLP exporters read their OTEL_EXPORTER_OTLP_* settings through this; 0.301 exports no other way.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
        new OtlpSpanSerializer(),
        'otlp_http_span_exporter',
        TraceExporterMetricsHelper,
        undefined,
      ),
    );
  }
}
