import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeMetricsExport, decodeTraceExport } from './otlp-protobuf.js';

/** An OTLP/HTTP JSON attribute: `{ key, value: { stringValue | intValue | doubleValue | boolValue } }`. */
export interface OtlpAttribute {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: number | string; readonly doubleValue?: number; readonly boolValue?: boolean };
}

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes?: readonly OtlpAttribute[];
}

interface ResourceScoped<T> {
  readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
  readonly scopeSpans?: readonly { readonly spans?: readonly T[] }[];
}

interface DataPoint {
  readonly attributes?: readonly OtlpAttribute[];
  readonly asInt?: number | string;
  readonly asDouble?: number;
  readonly count?: number | string;
}

interface OtlpMetric {
  readonly name: string;
  readonly sum?: { readonly dataPoints?: readonly DataPoint[] };
  readonly histogram?: { readonly dataPoints?: readonly DataPoint[] };
}

/** The value of an attribute as text, whatever its OTLP type. */
export function attributeOf(attributes: readonly OtlpAttribute[] | undefined, key: string): string | undefined {
  const value = attributes?.find((entry) => entry.key === key)?.value;
  if (value === undefined) return undefined;
  const raw = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
  return raw === undefined ? undefined : String(raw);
}

/**
 * A stand-in OTLP/HTTP collector for tests: accepts protobuf and JSON exports on /v1/traces and
 * /v1/metrics and keeps what it received. (The system under test is kascade's exporter, not a
 * collector.)
 */
export class OtlpReceiver {
  readonly spans: { readonly span: OtlpSpan; readonly resource: readonly OtlpAttribute[] }[] = [];
  /** Every metrics export, in arrival order. */
  readonly metricExports: { readonly scopeMetrics?: readonly { readonly metrics?: readonly OtlpMetric[] }[] }[][] = [];
  readonly contentTypes = new Set<string>();
  private readonly server: Server;

  private constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const contentType = request.headers['content-type'] ?? '';
        this.contentTypes.add(contentType);
        const body = Buffer.concat(chunks);
        if (contentType === 'application/x-protobuf') {
          if (request.url === '/v1/traces') this.spans.push(...decodeTraceExport(body));
          if (request.url === '/v1/metrics') this.metricExports.push(decodeMetricsExport(body));
          // An empty Export*ServiceResponse: everything accepted.
          response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
          return;
        }
        const json: unknown = JSON.parse(body.toString('utf8'));
        if (request.url === '/v1/traces') this.takeSpans(json as { resourceSpans?: readonly ResourceScoped<OtlpSpan>[] });
        if (request.url === '/v1/metrics') this.metricExports.push((json as { resourceMetrics?: [] }).resourceMetrics ?? []);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
  }

  /** The latest exported value of a cumulative counter with these attributes (undefined before any). */
  counter(name: string, attributes: Readonly<Record<string, string>>): number | undefined {
    return this.latestPoint(name, 'sum', attributes, (point) => Number(point.asInt ?? point.asDouble));
  }

  /** The latest exported observation count of a histogram with these attributes. */
  histogramCount(name: string, attributes: Readonly<Record<string, string>>): number | undefined {
    return this.latestPoint(name, 'histogram', attributes, (point) => Number(point.count));
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // The exporter keeps its connection alive; close() alone would wait for it.
    this.server.closeAllConnections();
    return closed;
  }

  private latestPoint(name: string, kind: 'sum' | 'histogram', attributes: Readonly<Record<string, string>>, read: (point: DataPoint) => number): number | undefined {
    for (const resources of [...this.metricExports].reverse()) {
      for (const resource of resources) {
        for (const scope of resource.scopeMetrics ?? []) {
          for (const metric of scope.metrics ?? []) {
            if (metric.name !== name) continue;
            const point = metric[kind]?.dataPoints?.find((candidate) => Object.entries(attributes).every(([key, value]) => attributeOf(candidate.attributes, key) === value));
            if (point !== undefined) return read(point);
          }
        }
      }
    }
    return undefined;
  }

  private takeSpans(body: { resourceSpans?: readonly ResourceScoped<OtlpSpan>[] }): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) this.spans.push({ span, resource: resourceSpans.resource?.attributes ?? [] });
      }
    }
  }
}
