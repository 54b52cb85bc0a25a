import { UsageError } from './command.js';

type Environment = Readonly<Record<string, string | undefined>>;

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** OTLP over HTTP, as protobuf (the specification's default) or JSON. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

/** What `kascade run` exports, read from the standard OpenTelemetry variables. */
export interface OtelSettings {
  /** Spans go to an OTLP/HTTP endpoint; the exporter reads the endpoint, headers and certificates itself. */
  readonly traces: ({ readonly protocol: OtlpProtocol; readonly sampler: SamplerName; readonly ratio: number } & SpanBatching) | undefined;
  /** Metrics are pushed to an OTLP/HTTP endpoint every `intervalMs` (besides the Prometheus /metrics). */
  readonly metrics: { readonly protocol: OtlpProtocol; readonly intervalMs: number } | undefined;
  readonly serviceName: string | undefined;
}

/** The batch span processor's settings (OTEL_BSP_*). */
export interface SpanBatching {
  readonly scheduleDelayMs: number;
  /** Spans waiting for export; more are dropped (with a warning). */
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly exportTimeoutMs: number;
}

/**
 * The specification's defaults, but a larger queue: a stage ends a span per record, tens of
 * thousands a second, and the specification's 2,048 would drop spans between exports.
 */
const SPAN_BATCHING_DEFAULTS: SpanBatching = { scheduleDelayMs: 5000, maxQueueSize: 8192, maxExportBatchSize: 512, exportTimeoutMs: 30_000 };

const NOTHING: OtelSettings = { traces: undefined, metrics: undefined, serviceName: undefined };

/**
 * Exporting is opt-in: traces and metrics leave the process only when an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_ENDPOINT or the per-signal one) or the signal's exporter is `otlp`. With
 * nothing set there is no exporter and no network attempt. Bad values are refused at start,
 * naming the variable.
 */
export function readOtelEnvironment(env: Environment): OtelSettings {
  if (text(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return NOTHING;
  const anyEndpoint = text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
  const tracesOn = exporterChosen(env, 'OTEL_TRACES_EXPORTER', anyEndpoint || text(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined);
  const metricsOn = exporterChosen(env, 'OTEL_METRICS_EXPORTER', anyEndpoint || text(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined);
  return {
    traces: tracesOn ? { protocol: protocol(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'), ...sampler(env), ...spanBatching(env) } : undefined,
    metrics: metricsOn ? { protocol: protocol(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'), intervalMs: positiveInteger(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000, 'milliseconds') } : undefined,
    serviceName: text(env, 'OTEL_SERVICE_NAME'),
  };
}

function text(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** `otlp` turns the signal on, `none` off; `prometheus` (metrics) is what /metrics serves anyway. */
function exporterChosen(env: Environment, name: string, endpointSet: boolean): boolean {
  const value = text(env, name);
  if (value === undefined) return endpointSet;
  const chosen = value.split(',').map((entry) => entry.trim().toLowerCase());
  const known = name === 'OTEL_METRICS_EXPORTER' ? ['otlp', 'none', 'prometheus'] : ['otlp', 'none'];
  const unknown = chosen.filter((entry) => !known.includes(entry));
  if (unknown.length > 0) throw new UsageError(`${name}=${value}: kascade supports ${known.join(', ')} (got ${unknown.join(', ')})`);
  return chosen.includes('otlp');
}

/** The signal's own variable wins over the general one; http/protobuf when neither is set, as the specification says. */
function protocol(env: Environment, signalVariable: string): OtlpProtocol {
  for (const name of [signalVariable, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = text(env, name);
    if (value === undefined) continue;
    const known = PROTOCOLS.find((candidate) => candidate === value.toLowerCase());
    if (known === undefined) throw new UsageError(`${name}=${value}: kascade exports OTLP over HTTP, as ${PROTOCOLS.join(' or ')} (collectors and Jaeger accept both on port 4318)`);
    return known;
  }
  return 'http/protobuf';
}

function sampler(env: Environment): { sampler: SamplerName; ratio: number } {
  const value = (text(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const name = SAMPLERS.find((entry) => entry === value);
  if (name === undefined) throw new UsageError(`OTEL_TRACES_SAMPLER=${value}: expected one of ${SAMPLERS.join(', ')}`);
  const argument = text(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = argument === undefined ? 1 : Number(argument);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new UsageError(`OTEL_TRACES_SAMPLER_ARG=${argument ?? ''}: expected a ratio between 0 and 1`);
  return { sampler: name, ratio };
}

function spanBatching(env: Environment): SpanBatching {
  const defaults = SPAN_BATCHING_DEFAULTS;
  const batching: SpanBatching = {
    scheduleDelayMs: positiveInteger(env, 'OTEL_BSP_SCHEDULE_DELAY', defaults.scheduleDelayMs, 'milliseconds'),
    maxQueueSize: positiveInteger(env, 'OTEL_BSP_MAX_QUEUE_SIZE', defaults.maxQueueSize, 'spans'),
    maxExportBatchSize: positiveInteger(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', defaults.maxExportBatchSize, 'spans'),
    exportTimeoutMs: positiveInteger(env, 'OTEL_BSP_EXPORT_TIMEOUT', defaults.exportTimeoutMs, 'milliseconds'),
  };
  if (batching.maxExportBatchSize > batching.maxQueueSize) {
    throw new UsageError(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${String(batching.maxExportBatchSize)} is larger than OTEL_BSP_MAX_QUEUE_SIZE=${String(batching.maxQueueSize)}: an export batch is taken from the queue`);
  }
  return batching;
}

function positiveInteger(env: Environment, name: string, fallback: number, unit: string): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new UsageError(`${name}=${value}: expected a positive whole number of ${unit}`);
  return parsed;
}
