import type { Kafka } from 'kafkajs';
import { waitFor } from './wait-for.js';

export interface CaughtUpOptions {
  readonly timeoutMs?: number;
  /**
   * Offsets per partition no consumer commits past: 1 for an input written in transactions,
   * whose every partition ends with a commit marker.
   */
  readonly markerAllowance?: number;
}

/** Waits until `group` has committed offsets up to the end of every partition of `topic`. */
export async function waitForGroupCaughtUp(kafka: Kafka, group: string, topic: string, options: CaughtUpOptions = {}): Promise<void> {
  const allowance = options.markerAllowance ?? 0;
  const admin = kafka.admin();
  await admin.connect();
  let state = 'not asked yet';
  try {
    await waitFor(
      async () => {
        try {
          const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
          const done = new Map(committed[0]?.partitions.map((entry) => [entry.partition, Number(entry.offset)]) ?? []);
          const lag = ends.reduce((sum, end) => sum + Math.max(0, Number(end.high) - allowance - Math.max(0, done.get(end.partition) ?? 0)), 0);
          state = `lag ${lag}`;
          return lag === 0;
        } catch (error) {
          // A broker recovering from a fault may answer "not the leader" for a while: ask again.
          state = `last error: ${error instanceof Error ? error.message : String(error)}`;
          return false;
        }
      },
      { what: () => `group ${group} to commit to the end of ${topic} (${state})`, timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect();
  }
}
