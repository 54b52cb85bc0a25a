import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What a traced bench stage is started with: every span exported to `endpoint`, no metrics push,
 * and spans sent each second.
 */
export function tracedStageEnvironment(endpoint: string): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '1000' };
}

/** An OTLP/HTTP endpoint that accepts and discards exports: traced runs pay for export, not for a collector. */
export class OtlpSink {
  private constructor(
    private readonly server: Server,
    private readonly counter: { received: number },
  ) {}

  /** Export requests received (a sign the traced runs really exported). */
  get received(): number {
    return this.counter.received;
  }

  static async start(): Promise<OtlpSink> {
    const counter = { received: 0 };
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        counter.received++;
        // An empty export response, in the request's encoding (protobuf by default, or JSON).
        if (request.headers['content-type'] === 'application/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new OtlpSink(server, counter);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}
