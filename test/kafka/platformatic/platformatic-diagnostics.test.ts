import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consumerGroupChannel, createDiagnosticContext, Producer } from '@platformatic/kafka';
import { observeClientOperations } from '../../../src/kafka/platformatic/platformatic-diagnostics.js';
import type { KafkaClientOperation } from '../../../src/telemetry/stage-metrics.js';

/** A client that never connects: the operations below only carry it. */
const client = new Producer({ clientId: 'kascade.score', bootstrapBrokers: ['127.0.0.1:1'] });

/** Runs `outcome` as a traced group operation of `client`, the way the library traces its own. */
function groupOperation(operation: string, outcome: Error | null): Promise<void> {
  return new Promise((resolve) => {
    consumerGroupChannel.traceCallback(
      (callback: (error: Error | null) => void) => setTimeout(() => callback(outcome), 5),
      0,
      createDiagnosticContext({ client, operation }),
      undefined,
      () => resolve(),
    );
  });
}

test("each watched operation is observed once, with its client, name, duration and outcome, until the observer leaves", async () => {
  const seen: KafkaClientOperation[] = [];
  const stop = observeClientOperations((operation) => seen.push(operation));
  await groupOperation('joinGroup', null);
  await groupOperation('syncGroup', new Error('REBALANCE_IN_PROGRESS'));
  stop();
  await groupOperation('heartbeat', null);
  await client.close();
  assert.deepEqual(
    seen.map(({ client, operation, failed }) => ({ client, operation, failed })),
    [
      { client: 'kascade.score', operation: 'joinGroup', failed: false },
      { client: 'kascade.score', operation: 'syncGroup', failed: true },
    ],
  );
  for (const { milliseconds } of seen) assert.ok(milliseconds >= 4, `took ${milliseconds} ms`);
});

test("a real producer's failed send is observed under its client id (no broker listens on the port)", async () => {
  const seen: KafkaClientOperation[] = [];
  const stop = observeClientOperations((operation) => seen.push(operation));
  const producer = new Producer({ clientId: 'kascade.nowhere', bootstrapBrokers: ['127.0.0.1:1'], retries: 0, connectTimeout: 1_000 });
  try {
    await assert.rejects(producer.send({ messages: [{ topic: 't', value: Buffer.from('v') }] }));
  } finally {
    stop();
    await producer.close().catch(() => undefined);
  }
  assert.deepEqual(
    seen.filter((operation) => operation.operation === 'send').map(({ client, failed }) => ({ client, failed })),
    [{ client: 'kascade.nowhere', failed: true }],
  );
});
