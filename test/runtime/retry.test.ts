import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, KascadeError } from '../../src/errors.js';
import { retryWithBackoff } from '../../src/runtime/retry.js';

const retriable = () => new KascadeError(ErrorCode.RegistryUnreachable, 'down', { retriable: true });

test('retries retriable errors with growing, capped delays until the attempt succeeds', async () => {
  const delays: number[] = [];
  let attempts = 0;
  const result = await retryWithBackoff(
    () => {
      attempts++;
      return attempts < 6 ? Promise.reject(retriable()) : Promise.resolve('ok');
    },
    { initialDelayMs: 100, maxDelayMs: 800, sleep: (ms) => Promise.resolve(void delays.push(ms)) },
  );
  assert.equal(result, 'ok');
  assert.equal(attempts, 6);
  // Jitter keeps each delay within [50%, 100%] of 100, 200, 400, 800, 800.
  [100, 200, 400, 800, 800].forEach((ceiling, index) => {
    assert.ok(delays[index]! >= ceiling / 2 && delays[index]! <= ceiling, `delay ${index}: ${delays[index]!}`);
  });
});

test('a non-retriable error is thrown at once', async () => {
  let attempts = 0;
  await assert.rejects(
    retryWithBackoff(() => {
      attempts++;
      return Promise.reject(new KascadeError(ErrorCode.DecodeFailed, 'bad'));
    }),
    /bad/,
  );
  assert.equal(attempts, 1);
});

test('shouldStop ends the retries with the last error', async () => {
  let attempts = 0;
  await assert.rejects(
    retryWithBackoff(
      () => {
        attempts++;
        return Promise.reject(retriable());
      },
      { shouldStop: () => attempts >= 3, sleep: () => Promise.resolve() },
    ),
    /down/,
  );
  assert.equal(attempts, 3);
});

test('beforeWait may give up by throwing (a rebalance took the partition)', async () => {
  await assert.rejects(
    retryWithBackoff(() => Promise.reject(retriable()), {
      beforeWait: () => {
        throw new Error('rebalancing');
      },
    }),
    /rebalancing/,
  );
});
