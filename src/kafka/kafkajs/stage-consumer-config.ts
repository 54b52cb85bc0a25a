import type { ConsumerConfig } from 'kafkajs';
import type { ConsumerTuning } from '../../topology/spec.js';

/** How long the group waits for a silent member before moving its partitions, unless the topology says. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/** A stage's kafkajs consumer settings: the topology's tuning over kascade's defaults. */
export function stageConsumerConfig(groupId: string, tuning: ConsumerTuning | undefined): ConsumerConfig {
  const sessionTimeout = tuning?.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  return {
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 250,
    // A fetch is decoded in one go on the event loop: 256 KiB per partition (kafkajs: 1 MiB)
    // keeps that under ~10 ms while still handing each partition thousands of records.
    maxBytesPerPartition: tuning?.fetchBytesPerPartition ?? 256 * 1024,
    sessionTimeout,
    heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    retry: { retries: 10 },
  };
}
