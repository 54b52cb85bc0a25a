import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { StageHealth } from './stage-health.js';

export interface HealthServerOptions {
  readonly port: number;
  readonly host?: string;
  /** True once the process serves: its stages joined their groups and loaded their models. */
  readonly ready: () => boolean;
  /** Serves /metrics (the Prometheus exporter's handler); 404 without one. */
  readonly metrics?: (request: IncomingMessage, response: ServerResponse) => void;
  /** /healthz fails when the event loop was blocked this long (default 5 s). */
  readonly maxEventLoopDelayMs?: number;
  /**
   * The stages' own health (their progress watchdogs, e.g. `StageHealthBoard.stages()`), read on
   * every request: /healthz fails when one is unhealthy, /readyz needs every one ready and
   * reports their group membership and progress.
   */
  readonly stages?: () => readonly StageHealth[];
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A stage process's endpoints: `/healthz` (alive: the event loop answers, was not blocked
 * longer than the limit since the last check, and no stage is stuck), `/readyz` (joined, models
 * loaded, every stage in its group; a JSON body with each stage's membership and progress) and
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
      const unhealthy = blocked ? [] : stagesOf(options).filter((stage) => !stage.healthy);
      if (blocked) reply(response, 503, 'event loop blocked\n');
      else if (unhealthy.length > 0) reply(response, 503, unhealthy.map((stage) => `stage ${stage.stage}: ${stage.reason ?? 'unhealthy'}\n`).join(''));
      else reply(response, 200, 'ok\n');
    } else if (path === '/readyz') {
      const stages = stagesOf(options);
      const ready = options.ready() && stages.every((stage) => stage.ready);
      replyJson(response, ready ? 200 : 503, readiness(ready, stages));
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

/** A health source that throws is reported as an unhealthy, unready stage rather than crashing the server. */
function stagesOf(options: HealthServerOptions): readonly StageHealth[] {
  try {
    return options.stages?.() ?? [];
  } catch (error) {
    const reason = `health unavailable: ${error instanceof Error ? error.message : String(error)}`;
    return [{ stage: '(unknown)', healthy: false, ready: false, reason, inGroup: false, secondsSinceMembershipChange: 0, partitions: [] }];
  }
}

/** The /readyz body: `{ ready, stages: { <stage>: { ready, healthy, inGroup, memberId, generationId, partitions } } }`. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly stages: Readonly<Record<string, Omit<StageHealth, 'stage'>>>;
}

function readiness(ready: boolean, stages: readonly StageHealth[]): ReadinessReport {
  return { ready, stages: Object.fromEntries(stages.map(({ stage, ...rest }) => [stage, rest])) };
}

function replyJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(`${JSON.stringify(body)}\n`);
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(body);
}
