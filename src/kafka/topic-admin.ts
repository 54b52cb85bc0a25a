import type { Kafka } from 'kafkajs';

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
        waitForLeaders: true,
        topics: missing.map((requirement) => ({
          topic: requirement.topic,
          numPartitions: requirement.partitions,
          ...(requirement.replicationFactor === undefined ? {} : { replicationFactor: requirement.replicationFactor }),
        })),
      });
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
