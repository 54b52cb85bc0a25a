import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type GaugeMetricData } from '@opentelemetry/sdk-metrics';
import { ErrorCode, isKascadeError, type KascadeError } from '../../../src/errors.js';
import type { Membership, RecordSource, SourceListener, TopicPartition } from '../../../src/runtime/delivery/ports.js';
import { PartitionProgress } from '../../../src/runtime/delivery/progress.js';
import { ProgressWatchdog, type ProgressWatchdogOptions } from '../../../src/runtime/delivery/watchdog.js';
import { startHealthServer } from '../../../src/telemetry/health-server.js';
import type { LogFields, Logger } from '../../../src/telemetry/logger.js';
import { StageHealthBoard } from '../../../src/telemetry/stage-health.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

const SESSION = 30_000;
const STUCK = 120_000;
const CHECK = 5_000;
const p0 = { topic: 'requests', partition: 0 };
const p1 = { topic: 'requests', partition: 1 };

/** A record source that only answers what the watchdog asks: its membership, and restarts. */
class FakeSource implements RecordSource {
  restarts = 0;
  membershipNow: Membership;
  /** What a restart does; by default the client rejoins and gets its partitions again. */
  onRestart: () => Promise<void> = () => Promise.resolve();

  constructor(private readonly clock: ManualClock) {
    this.membershipNow = { inGroup: true, since: clock.now().getTime(), member: { groupId: 'g', memberId: 'member-1', generationId: 3 } };
  }

  start(listener: SourceListener): Promise<void> {
    assert.ok(listener);
    return Promise.resolve();
  }
  pause(): void {}
  ownershipLost(): void {}
  resume(): void {}
  membership(): Membership {
    return this.membershipNow;
  }
  async restart(): Promise<void> {
    this.restarts++;
    await this.onRestart();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }

  leave(): void {
    this.membershipNow = { inGroup: false, since: this.clock.now().getTime() };
  }

  join(generationId: number): void {
    this.membershipNow = { inGroup: true, since: this.clock.now().getTime(), member: { groupId: 'g', memberId: 'member-2', generationId } };
  }
}

interface Logged {
  readonly level: string;
  readonly message: string;
  readonly fields: LogFields;
}

function capture(): { logger: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: string) => (message: string, fields: LogFields = {}) => void lines.push({ level, message, fields });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function setUp(options: Partial<ProgressWatchdogOptions> = {}) {
  const clock = new ManualClock();
  const progress = new PartitionProgress({ clock });
  const source = new FakeSource(clock);
  const failures: KascadeError[] = [];
  const { logger, lines } = capture();
  const watchdog = new ProgressWatchdog({
    stage: 'score',
    source,
    progress,
    sessionTimeoutMs: SESSION,
    stuckAfterMs: STUCK,
    clock,
    logger,
    metrics: false,
    onStuck: (error) => failures.push(error),
    ...options,
  });
  /** Moves the clock in check-sized steps, checking after each (as the timer would). */
  const run = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= CHECK) {
      clock.advance(Math.min(CHECK, left));
      await watchdog.check();
    }
  };
  return { clock, progress, source, failures, lines, watchdog, run };
}

/** The engine's view of a restart: the partitions are lost, then assigned anew. */
function reassignOnRestart(source: FakeSource, progress: PartitionProgress, partitions: readonly TopicPartition[]): void {
  source.onRestart = () => {
    progress.released(partitions);
    source.leave();
    source.join(4);
    progress.assigned(partitions);
    return Promise.resolve();
  };
}

test('an idle stage (no records waiting) is healthy and ready however long nothing happens', async () => {
  const { progress, source, failures, watchdog, run } = setUp();
  progress.assigned([p0, p1]);
  progress.lag(p1, 0);
  await run(10 * STUCK);
  assert.equal(source.restarts, 0);
  assert.equal(failures.length, 0);
  const health = watchdog.health();
  assert.equal(health.healthy, true);
  assert.equal(health.ready, true);
  assert.equal(health.reason, undefined);
  assert.equal(health.inGroup, true);
  assert.equal(health.memberId, 'member-1');
  assert.equal(health.generationId, 3);
  assert.deepEqual(
    health.partitions.map(({ partition, lag, stuck, secondsSinceProgress }) => ({ partition, lag, stuck, secondsSinceProgress })),
    [
      { partition: 0, lag: undefined, stuck: false, secondsSinceProgress: 1200 },
      { partition: 1, lag: 0, stuck: false, secondsSinceProgress: 1200 },
    ],
  );
});

test('records waiting without progress: one restart with a warning, then the stage fails when still stuck', async () => {
  const { progress, source, failures, lines, watchdog, run } = setUp();
  progress.assigned([p0, p1]);
  progress.fetched(p0, '500');
  progress.committed(p0, '380');
  progress.lag(p1, 0);
  await run(STUCK - CHECK);
  assert.equal(source.restarts, 0, 'not before the limit');
  await run(CHECK);
  assert.equal(source.restarts, 1);
  const warning = lines.find((line) => line.level === 'warn');
  assert.equal(warning?.message, 'stage stuck: restarting its consumer');
  assert.equal(warning.fields['stage'], 'score');
  assert.equal(warning.fields['partitions'], 'requests[0]');
  assert.equal(warning.fields['secondsWithoutProgress'], 120);
  assert.equal(watchdog.health().healthy, true, 'a restart is tried before the stage is called unhealthy');

  await run(STUCK - CHECK);
  assert.equal(source.restarts, 1, 'restarted once only');
  assert.equal(failures.length, 0);
  await run(CHECK);
  assert.equal(failures.length, 1);
  const error = failures[0]!;
  assert.ok(isKascadeError(error, ErrorCode.StageStuck));
  assert.equal(error.retriable, false);
  assert.match(error.message, /^stage score is stuck: no progress on requests\[0\] \(lag 120, 240 s without progress\), and a restart of its client 120 s ago did not help$/);
  assert.equal(watchdog.failed(), error);
  const health = watchdog.health();
  assert.equal(health.healthy, false);
  assert.equal(health.ready, false);
  assert.equal(health.reason, error.message);
  assert.deepEqual(health.partitions.filter((partition) => partition.stuck).map((partition) => partition.partition), [0]);

  await run(10 * STUCK);
  assert.equal(failures.length, 1, 'onStuck is called once');
  assert.equal(source.restarts, 1);
});

test('a restart that gives the partitions back without any record moving still fails the stage', async () => {
  const { progress, source, failures, run } = setUp();
  progress.assigned([p0]);
  progress.lag(p0, 42);
  reassignOnRestart(source, progress, [p0]);
  await run(STUCK);
  assert.equal(source.restarts, 1);
  assert.equal(progress.lagOf(p0), undefined, 'assigned anew: no lag known yet');
  await run(STUCK - CHECK);
  assert.equal(failures.length, 0);
  await run(CHECK);
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /requests\[0\] \(lag 42, 240 s without progress\)/);
});

test('progress after the restart: healthy again, and a later incident gets its own restart', async () => {
  const { progress, source, failures, lines, watchdog, run } = setUp();
  progress.assigned([p0]);
  progress.lag(p0, 10);
  reassignOnRestart(source, progress, [p0]);
  await run(STUCK);
  assert.equal(source.restarts, 1);
  assert.match(watchdog.health().reason ?? '', /^restarted its consumer 0 s ago \(no progress on requests\[0\]/);

  await run(2 * CHECK);
  // Fetched again after the restart is not moving again: only a write or a commit is.
  progress.fetched(p0, '100');
  await run(CHECK);
  assert.ok(!lines.some((line) => line.message === 'stage moving again after a restart of its consumer'), 'a fetch is not progress');
  progress.acknowledged(p0);
  progress.lag(p0, 10);
  await run(CHECK);
  assert.ok(lines.some((line) => line.message === 'stage moving again after a restart of its consumer'));
  const health = watchdog.health();
  assert.equal(health.healthy, true);
  assert.equal(health.ready, true);
  assert.equal(health.reason, undefined);
  assert.equal(health.generationId, 4);

  // Working normally for a while, then stuck again: a new incident, a new restart.
  for (let step = 0; step < 10; step++) {
    await run(STUCK / 2);
    progress.acknowledged(p0);
  }
  assert.equal(source.restarts, 1);
  await run(STUCK);
  assert.equal(source.restarts, 2);
  assert.equal(failures.length, 0);
});

test('partitions another member owns after the restart are not this stage\'s problem', async () => {
  const { progress, source, failures, watchdog, run } = setUp();
  progress.assigned([p0, p1]);
  progress.lag(p0, 10);
  progress.lag(p1, 0);
  source.onRestart = () => {
    progress.released([p0, p1]);
    progress.assigned([p1]);
    return Promise.resolve();
  };
  await run(STUCK);
  assert.equal(source.restarts, 1);
  await run(STUCK);
  assert.equal(failures.length, 0);
  assert.equal(watchdog.health().reason, undefined);
});

test('out of the group for more than two session timeouts: restart; still out after it: the stage fails', async () => {
  const { source, failures, watchdog, run } = setUp();
  source.leave();
  await run(2 * SESSION);
  assert.equal(source.restarts, 0, 'two session timeouts are tolerated (a slow rebalance)');
  assert.equal(watchdog.health().ready, false, 'not ready while out of the group');
  assert.equal(watchdog.health().healthy, true);
  assert.match(watchdog.health().reason ?? '', /^not in its consumer group \(for 60 s\)$/);
  await run(CHECK);
  assert.equal(source.restarts, 1);
  // A restarted member gets max(stuckAfterMs, two session timeouts) to be back in.
  await run(STUCK - CHECK);
  assert.equal(failures.length, 0);
  await run(CHECK);
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /^stage score is stuck: out of its consumer group for 65 s \(more than two session timeouts of 30 s\); 120 s after a restart of its client it is still out of its consumer group$/);
});

test('out of the group, and back in after the restart: healthy', async () => {
  const { source, failures, watchdog, run } = setUp();
  source.leave();
  source.onRestart = () => {
    source.join(7);
    return Promise.resolve();
  };
  await run(2 * SESSION + CHECK);
  assert.equal(source.restarts, 1);
  await run(CHECK);
  assert.equal(failures.length, 0);
  const health = watchdog.health();
  assert.equal(health.ready, true);
  assert.equal(health.generationId, 7);
  assert.equal(health.reason, undefined);
});

test('an outage the engine keeps retrying is not stuck; retries that stop are', async () => {
  const { progress, source, failures, watchdog, run } = setUp();
  progress.assigned([p0, p1]);
  progress.lag(p0, 100);
  progress.lag(p1, 100);
  // The registry is down: the source is paused, one chunk is retried with backoff capped at 10 s.
  for (let attempt = 0; attempt < 60; attempt++) {
    progress.retryingAll(10_000);
    progress.retrying(p0, 10_000);
    await run(10_000);
  }
  assert.equal(source.restarts, 0);
  const health = watchdog.health();
  assert.equal(health.healthy, true);
  assert.ok(health.partitions.every((partition) => partition.retrying && !partition.stuck));
  assert.ok(health.partitions.every((partition) => partition.secondsSinceProgress === 600));
  // The retry loop hangs (an attempt never returns): stuck after the limit.
  await run(STUCK + CHECK);
  assert.equal(source.restarts, 1);
  assert.equal(failures.length, 0);
});

test('a restart that throws fails the stage at once', async () => {
  const { progress, source, failures, watchdog, run } = setUp();
  progress.assigned([p0]);
  progress.lag(p0, 1);
  source.onRestart = () => Promise.reject(new Error('cannot connect'));
  await run(STUCK);
  assert.equal(source.restarts, 1);
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /^stage score is stuck: no progress on requests\[0\] \(lag 1, 120 s without progress\) for at least 120 s; the restart of its client failed: cannot connect$/);
  assert.equal((failures[0]!.cause as Error).message, 'cannot connect');
  assert.equal(watchdog.health().healthy, false);
});

test('a restart that never finishes fails the stage after the grace', async () => {
  const { clock, progress, source, failures, watchdog } = setUp();
  progress.assigned([p0]);
  progress.lag(p0, 1);
  source.onRestart = () => new Promise<void>(() => undefined);
  clock.advance(STUCK);
  void watchdog.check();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(source.restarts, 1);
  assert.equal(watchdog.health().ready, false, 'not ready while restarting');
  assert.match(watchdog.health().reason ?? '', /^restarting its consumer: /);
  clock.advance(STUCK - 1);
  await watchdog.check();
  assert.equal(failures.length, 0);
  clock.advance(1);
  await watchdog.check();
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /the restart of its client did not finish within 120 s$/);
});

test('stop() ends the checks; start() checks on an unref\'d timer', async () => {
  const clock = new ManualClock();
  const progress = new PartitionProgress({ clock });
  const source = new FakeSource(clock);
  progress.assigned([p0]);
  progress.lag(p0, 1);
  const watchdog = new ProgressWatchdog({ stage: 'score', source, progress, sessionTimeoutMs: SESSION, stuckAfterMs: 10_000, checkEveryMs: 5, clock, metrics: false, onStuck: () => undefined });
  watchdog.start();
  clock.advance(10_000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(source.restarts, 1, 'the timer checked');
  watchdog.stop();
  source.onRestart = () => Promise.reject(new Error('no'));
  clock.advance(100_000);
  progress.assigned([p1]);
  progress.lag(p1, 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await watchdog.check();
  assert.equal(source.restarts, 1);
  assert.equal(watchdog.failed(), undefined);
  assert.throws(() => new ProgressWatchdog({ stage: 's', source, progress, sessionTimeoutMs: 0, onStuck: () => undefined }), RangeError);
});

test('the health server answers 503 on /healthz for a stuck stage, and /readyz reports membership and progress', async () => {
  const { progress, source, watchdog, run } = setUp();
  const board = new StageHealthBoard();
  board.add(() => watchdog.health());
  const server = await startHealthServer({ port: 0, host: '127.0.0.1', ready: () => true, stages: () => board.stages() });
  const get = async (path: string): Promise<{ status: number; body: string; type: string | null }> => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
  };
  try {
    progress.assigned([p0, p1]);
    progress.lag(p0, 7);
    progress.lag(p1, 0);
    await run(60_000);
    assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.type, 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(ready.body), {
      ready: true,
      stages: {
        score: {
          healthy: true,
          ready: true,
          inGroup: true,
          memberId: 'member-1',
          generationId: 3,
          secondsSinceMembershipChange: 60,
          partitions: [
            { topic: 'requests', partition: 0, lag: 7, secondsSinceProgress: 60, retrying: false, stuck: false },
            { topic: 'requests', partition: 1, lag: 0, secondsSinceProgress: 60, retrying: false, stuck: false },
          ],
        },
      },
    });

    await run(2 * STUCK);
    assert.equal(source.restarts, 1);
    const healthz = await get('/healthz');
    assert.equal(healthz.status, 503);
    assert.match(healthz.body, /^stage score: stage score is stuck: no progress on requests\[0\]/);
    const notReady = await get('/readyz');
    assert.equal(notReady.status, 503);
    const body = JSON.parse(notReady.body) as { ready: boolean; stages: Record<string, { healthy: boolean; reason: string }> };
    assert.equal(body.ready, false);
    assert.equal(body.stages['score']?.healthy, false);
    assert.match(body.stages['score'].reason, /stuck/);
  } finally {
    await server.close();
  }
});

test('the board: a stopped stage leaves it, a failed one stays (so /healthz keeps failing)', async () => {
  const board = new StageHealthBoard();
  const healthy = setUp({ board });
  healthy.watchdog.start();
  assert.deepEqual(board.stages().map((stage) => stage.stage), ['score']);
  healthy.watchdog.stop();
  assert.deepEqual(board.stages(), []);

  const stuck = setUp({ board });
  stuck.watchdog.start();
  stuck.progress.assigned([p0]);
  stuck.progress.lag(p0, 1);
  stuck.source.onRestart = () => Promise.reject(new Error('no'));
  await stuck.run(STUCK);
  stuck.watchdog.stop();
  assert.deepEqual(board.stages().map((stage) => [stage.stage, stage.healthy]), [['score', false]]);

  const server = await startHealthServer({ port: 0, host: '127.0.0.1', ready: () => true, stages: () => { throw new Error('broken'); } });
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(response.status, 503);
    assert.match(await response.text(), /health unavailable: broken/);
  } finally {
    await server.close();
  }
});

class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

test('kascade.stage.partition.progress_age: seconds per owned partition while started', async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  try {
    const { clock, progress, watchdog } = setUp({ metrics: true });
    progress.assigned([p0, p1]);
    clock.advance(3000);
    progress.acknowledged(p1);
    clock.advance(1500);
    watchdog.start();
    const ages = async (): Promise<{ partition: unknown; value: number }[]> => {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === 'kascade.stage.partition.progress_age') as GaugeMetricData | undefined;
      assert.equal(metric?.descriptor.unit, 's');
      return metric.dataPoints.map((point) => {
        assert.equal(point.attributes['stage'], 'score');
        assert.equal(point.attributes['topic'], 'requests');
        return { partition: point.attributes['partition'], value: point.value };
      });
    };
    assert.deepEqual(await ages(), [
      { partition: 0, value: 4.5 },
      { partition: 1, value: 1.5 },
    ]);
    clock.advance(1000);
    assert.deepEqual(await ages(), [
      { partition: 0, value: 5.5 },
      { partition: 1, value: 2.5 },
    ]);
    // Stopped: no more observations (the SDK may keep reporting the last ones it has).
    watchdog.stop();
    clock.advance(1000);
    assert.ok((await ages()).every((point) => point.value !== 6.5 && point.value !== 3.5));
  } finally {
    metrics.disable();
    await provider.shutdown();
  }
});
