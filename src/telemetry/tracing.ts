import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type TextMapGetter } from '@opentelemetry/api';

/** Kafka headers as the runtime holds them (its Headers; telemetry/ may not import runtime/). */
type HeaderList = readonly (readonly [name: string, value: Buffer | string | null])[];

/**
 * Tracing through the OpenTelemetry API only: W3C trace context travels in Kafka headers
 * (`traceparent`, `tracestate`, with whatever propagator the application registered). With no
 * SDK registered, spans are non-recording and cost next to nothing, and the incoming context is
 * passed on unchanged.
 */
const tracer = (): ReturnType<typeof trace.getTracer> => trace.getTracer('kascade');

const headerGetter: TextMapGetter<HeaderList> = {
  keys: (carrier) => [...new Set(carrier.map(([name]) => name))],
  get: (carrier, key) => {
    const values: string[] = [];
    for (const [name, value] of carrier) if (name === key && value !== null) values.push(value.toString());
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

/**
 * The trace context a record carries in its headers (the root context when it carries none).
 * Headers are whatever a producer wrote: a propagator that cannot read them yields the root
 * context rather than failing the record's batch.
 */
export function contextOf(headers: HeaderList): Context {
  try {
    return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  } catch {
    return ROOT_CONTEXT;
  }
}

/** Headers that carry `span`'s context to the next stage. */
export function traceHeaders(parent: Context, span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return carrier;
}

export type SpanAttributes = Readonly<Record<string, string | number>>;

/**
 * Attributes come as a function, called only for a recording span: on the hot path with no SDK
 * (or a sampler saying no) no attribute object is built per record.
 */
function withAttributes(span: Span, attributes: () => SpanAttributes): Span {
  if (span.isRecording()) span.setAttributes(attributes());
  return span;
}

/** One span for a chunk a stage processes, linked to the contexts of its records. */
export function startBatchSpan(stage: string, parents: readonly Context[], attributes: () => SpanAttributes): Span {
  const links: Link[] = [];
  for (const parent of parents) {
    const spanContext = trace.getSpanContext(parent);
    if (spanContext !== undefined && trace.isSpanContextValid(spanContext)) links.push({ context: spanContext });
  }
  return withAttributes(tracer().startSpan(`${stage} process`, { kind: SpanKind.CONSUMER, links }, context.active()), attributes);
}

/** A record's span: a child of the context it arrived with, so a request is one trace across stages. */
export function startRecordSpan(stage: string, parent: Context, attributes: () => SpanAttributes): Span {
  return withAttributes(tracer().startSpan(`${stage} record`, { kind: SpanKind.INTERNAL }, parent), attributes);
}

export function endSpan(span: Span, error?: { readonly code: string; readonly message: string }): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.setAttribute('error.type', error.code);
  }
  span.end();
}
