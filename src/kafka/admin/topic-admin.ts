import { ClusterAdmin, type KafkaAccess, type TopicRequirement } from '../platformatic/cluster-admin.js';

export type { KafkaAccess, TopicRequirement } from '../platformatic/cluster-admin.js';

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly { readonly topic: string; readonly partitions: number }[];
}

/** Creates the topics that do not exist yet; existing topics are left as they are (idempotent). */
export function ensureTopics(access: KafkaAccess, required: readonly TopicRequirement[]): Promise<EnsureTopicsResult> {
  return ClusterAdmin.use(access, async (admin) => {
    const present = await admin.topicNames();
    const missing = required.filter((requirement) => !present.has(requirement.topic));
    await admin.createTopics(missing);
    const counts = await admin.partitionCounts(required.filter((requirement) => present.has(requirement.topic)).map((requirement) => requirement.topic));
    return {
      created: missing.map((requirement) => requirement.topic),
      existing: [...counts].map(([topic, partitions]) => ({ topic, partitions })),
    };
  });
}

/** Those of `topics` the cluster does not have. */
export function missingTopics(access: KafkaAccess, topics: readonly string[]): Promise<string[]> {
  return ClusterAdmin.use(access, async (admin) => {
    const existing = await admin.topicNames();
    return topics.filter((topic) => !existing.has(topic));
  });
}
