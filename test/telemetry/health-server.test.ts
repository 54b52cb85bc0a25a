import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHealthServer } from '../../src/telemetry/health-server.js';
import type { StageHealth } from '../../src/telemetry/stage-health.js';

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

const stage = (name: string, overrides: Partial<StageHealth> = {}): StageHealth => ({
  stage: name,
  healthy: true,
  ready: true,
  inGroup: true,
  memberId: `${name}-member`,
  generationId: 1,
  secondsSinceMembershipChange: 12,
  partitions: [],
  ...overrides,
});

test('without stage health: /healthz 200 while the loop runs, /readyz follows ready() with a JSON body', async () => {
  let ready = false;
  const server = await startHealthServer({ port: 0, host: '127.0.0.1', ready: () => ready });
  try {
    assert.deepEqual(await get(server.port, '/healthz'), { status: 200, body: 'ok\n' });
    assert.deepEqual(await get(server.port, '/readyz'), { status: 503, body: '{"ready":false,"stages":{}}\n' });
    ready = true;
    assert.deepEqual(await get(server.port, '/readyz'), { status: 200, body: '{"ready":true,"stages":{}}\n' });
    assert.equal((await get(server.port, '/metrics')).status, 404);
  } finally {
    await server.close();
  }
});

test('/readyz needs every stage ready; /healthz fails only for an unhealthy stage, naming it', async () => {
  let stages: readonly StageHealth[] = [stage('a'), stage('b', { ready: false, inGroup: false, reason: 'not in its consumer group (for 3 s)' })];
  const server = await startHealthServer({ port: 0, host: '127.0.0.1', ready: () => true, stages: () => stages });
  try {
    assert.equal((await get(server.port, '/healthz')).status, 200, 'out of the group is not unhealthy');
    const readyz = await get(server.port, '/readyz');
    assert.equal(readyz.status, 503);
    const body = JSON.parse(readyz.body) as { ready: boolean; stages: Record<string, { inGroup: boolean; memberId?: string; reason?: string }> };
    assert.equal(body.ready, false);
    assert.deepEqual(Object.keys(body.stages), ['a', 'b']);
    assert.equal(body.stages['a']?.memberId, 'a-member');
    assert.equal(body.stages['b']?.inGroup, false);
    assert.equal(body.stages['b'].reason, 'not in its consumer group (for 3 s)');

    stages = [stage('a'), stage('b', { healthy: false, ready: false, reason: 'stage b is stuck: ...' })];
    assert.deepEqual(await get(server.port, '/healthz'), { status: 503, body: 'stage b: stage b is stuck: ...\n' });
  } finally {
    await server.close();
  }
});
