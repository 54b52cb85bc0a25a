import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HealthServerOptions {
  readonly port: number;
  readonly host?: string;
  /** True once the process serves: its stages joined their groups and loaded their models. */
  readonly ready: () => boolean;
  /** Serves /metrics (the Prometheus exporter's handler); 404 without one. */
  readonly metrics?: (request: IncomingMessage, response: ServerResponse) => void;
  /** /healthz fails when the event loop was blocked this long (default 5 s). */
  readonly maxEventLoopDelayMs?: number;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A stage process's endpoints: `/healthz` (alive: the event loop answers, and was not blocked
 * longer than the limit since the last check), `/readyz` (joined and models loaded) and
 * `/metrics`. Plain `node:http`: nothing here depends on the OpenTelemetry SDK.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const limitNs = (options.maxEventLoopDelayMs ?? 5000) * 1e6;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const blocked = delay.max > limitNs;
      delay.reset();
      reply(response, blocked ? 503 : 200, blocked ? 'event loop blocked\n' : 'ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      reply(response, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics' && options.metrics !== undefined) {
      options.metrics(request, response);
    } else {
      reply(response, 404, 'not found (try /healthz, /readyz, /metrics)\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        delay.disable();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(body);
}
