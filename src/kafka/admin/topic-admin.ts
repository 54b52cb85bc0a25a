import type { Admin, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TopicRequirement {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number | undefined;
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly { readonly topic: string; readonly partitions: number }[];
}

/** Creates the topics that do not exist yet; existing topics are left as they are (idempotent). */
export async function ensureTopics(kafka: Kafka, required: readonly TopicRequirement[]): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = required.filter((requirement) => !present.has(requirement.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((requirement) => ({
          topic: requirement.topic,
          numPartitions: requirement.partitions,
          ...(requirement.replicationFactor === undefined ? {} : { replicationFactor: requirement.replicationFactor }),
        })),
      });
      await waitForLeaders(admin, missing.map((requirement) => requirement.topic));
    }
    const existingNames = required.filter((requirement) => present.has(requirement.topic)).map((requirement) => requirement.topic);
    const metadata = existingNames.length === 0 ? { topics: [] } : await admin.fetchTopicMetadata({ topics: existingNames });
    return {
      created: missing.map((requirement) => requirement.topic),
      existing: metadata.topics.map((topic) => ({ topic: topic.name, partitions: topic.partitions.length })),
    };
  } finally {
    await admin.disconnect();
  }
}

/** How long new topics may take to get a leader for every partition. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Waits until every partition of `topics` has a leader. kafkajs's own wait gives up when the
 * broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic just created, which a KRaft broker does
 * until its metadata has caught up with the controller: here that answer means "not yet".
 */
async function waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  let lastProblem = '';
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 1000)) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const waiting = found.filter((topic) => topic.partitions.length === 0 || topic.partitions.some((partition) => partition.leader < 0));
      if (found.length === topics.length && waiting.length === 0) return;
      lastProblem = `no leader yet for ${waiting.map((topic) => topic.name).join(', ') || 'some topics'}`;
    } catch (error) {
      if (!(error instanceof Error) || (error as { retriable?: unknown }).retriable !== true) throw error;
      lastProblem = error.message;
    }
    await sleep(delay);
  }
  throw new Error(`topics ${topics.join(', ')} were created but have no leader after ${String(LEADERS_TIMEOUT_MS / 1000)} s (${lastProblem})`);
}

/** Those of `topics` the cluster does not have. */
export async function missingTopics(kafka: Kafka, topics: readonly string[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return topics.filter((topic) => !existing.has(topic));
  } finally {
    await admin.disconnect();
  }
}
