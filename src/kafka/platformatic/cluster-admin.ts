import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import { kafkaErrorIds } from './platformatic-errors.js';
import { platformaticBaseOptions, READ_COMMITTED } from './platformatic-connection.js';
import { asConnectionError } from '../admin/connection-error.js';

/** What an admin step connects with: the brokers and their security, and a name the broker logs. */
export interface KafkaAccess {
  readonly connection: ConnectionSettings;
  readonly clientId: string;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
  /** Retries of a failed request (default 5); 0 for a probe that answers now or never. */
  readonly retries?: number;
}

export interface TopicRequirement {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number | undefined;
}

export interface CommittedOffset {
  readonly offset: bigint;
  readonly metadata: string | null;
}

/** A point in every partition of a topic: its first offset, its end (read_committed), or the first record at or after a time. */
export type OffsetQuery = 'earliest' | 'latest' | { readonly timestampMs: number };

/** How long new topics may take to get a leader for every partition. */
const LEADERS_TIMEOUT_MS = 30_000;
const MAX_MESSAGE_BYTES = 'max.message.bytes';
/** ListOffsets's timestamps for "the first offset" and "the end of the partition". */
const EARLIEST = -2n;
const LATEST = -1n;

/**
 * The admin calls kascade makes (topics, their limits, offsets, consumer group offsets), on
 * @platformatic/kafka whichever client stages run on, in kascade's terms: offsets are bigints,
 * partitions are numbers, a topic that exists already is not an error.
 */
export class ClusterAdmin {
  readonly #admin: Admin;
  /** The topic list, asked once per use (every step checks existence first) and again after creating. */
  #names: Promise<Set<string>> | undefined;

  private constructor(admin: Admin) {
    this.#admin = admin;
  }

  /**
   * Runs `work` with an admin client and closes it after. A failure to reach or log in to the
   * brokers becomes a BrokerUnreachable error naming the settings to check (never their values).
   */
  static async use<T>(access: KafkaAccess, work: (admin: ClusterAdmin) => Promise<T>): Promise<T> {
    const admin = new Admin(
      platformaticBaseOptions(access.connection, {
        clientId: access.clientId,
        ...(access.timeoutMs === undefined ? {} : { timeoutMs: access.timeoutMs, connectTimeoutMs: access.timeoutMs }),
        ...(access.retries === undefined ? {} : { retries: access.retries }),
      }),
    );
    try {
      return await work(new ClusterAdmin(admin));
    } catch (error) {
      throw asConnectionError(error, access.connection.brokers);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** The names of the cluster's topics (internal ones left out). */
  topicNames(): Promise<Set<string>> {
    this.#names ??= this.#admin.listTopics().then((names) => new Set(names));
    return this.#names;
  }

  /** The partition count of each of `topics` that exists. */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const existing = await this.topicNames();
    const wanted = [...new Set(topics)].filter((topic) => existing.has(topic));
    if (wanted.length === 0) return new Map();
    const metadata = await this.#admin.metadata({ topics: wanted, forceUpdate: true });
    return new Map([...metadata.topics].map(([name, topic]) => [name, topic.partitionsCount]));
  }

  /** Creates `required` (none may exist yet) and waits until every partition has a leader. */
  async createTopics(required: readonly TopicRequirement[]): Promise<void> {
    if (required.length === 0) return;
    // One request per shape: the library's request gives all its topics one partition count.
    const shapes = new Map<string, TopicRequirement[]>();
    for (const requirement of required) {
      const shape = `${requirement.partitions}/${requirement.replicationFactor ?? -1}`;
      shapes.set(shape, [...(shapes.get(shape) ?? []), requirement]);
    }
    for (const group of shapes.values()) {
      const first = group[0] as TopicRequirement;
      try {
        await this.#admin.createTopics({
          topics: group.map((requirement) => requirement.topic),
          partitions: first.partitions,
          replicas: first.replicationFactor ?? -1,
        });
      } catch (error) {
        // Another process (a second instance starting) created it meanwhile: just as good.
        const ids = kafkaErrorIds(error);
        if (!(ids.size > 0 && [...ids].every((id) => id === 'TOPIC_ALREADY_EXISTS'))) throw error;
      }
    }
    this.#names = undefined;
    await this.#waitForLeaders(required.map((requirement) => requirement.topic));
  }

  /** max.message.bytes of each of `topics` that exists. */
  async maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>> {
    // DescribeConfigs fails as a whole on one unknown topic; a missing topic has no limit to know.
    const existing = await this.topicNames();
    const wanted = [...new Set(topics)].filter((topic) => existing.has(topic));
    const limits = new Map<string, number>();
    if (wanted.length === 0) return limits;
    const described = await this.#admin.describeConfigs({
      resources: wanted.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName, configurationKeys: [MAX_MESSAGE_BYTES] })),
      includeSynonyms: false,
    });
    for (const resource of described) {
      const value = Number(resource.configs.find((config) => config.name === MAX_MESSAGE_BYTES)?.value);
      if (Number.isSafeInteger(value) && value > 0) limits.set(resource.resourceName, value);
    }
    return limits;
  }

  /** Per partition of `topic`, the offset `query` names; a time after the last record gives the end. */
  async offsetsOf(topic: string, query: OffsetQuery): Promise<Map<number, bigint>> {
    const partitions = (await this.partitionCounts([topic])).get(topic) ?? 0;
    if (partitions === 0) return new Map();
    const timestamp = query === 'earliest' ? EARLIEST : query === 'latest' ? LATEST : BigInt(query.timestampMs);
    const listed = await this.#admin.listOffsets({
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
      isolationLevel: READ_COMMITTED,
    });
    const offsets = new Map<number, bigint>();
    for (const entry of listed.flatMap((listedTopic) => listedTopic.partitions)) offsets.set(entry.partitionIndex, entry.offset);
    // No record at or after the time: ListOffsets answers -1, which means "the end".
    if (typeof query === 'object' && [...offsets.values()].some((offset) => offset < 0n)) {
      const ends = await this.offsetsOf(topic, 'latest');
      for (const [partition, offset] of offsets) if (offset < 0n) offsets.set(partition, ends.get(partition) ?? 0n);
    }
    return offsets;
  }

  /**
   * The offsets a consumer group has committed on `topics` (`topic` -> partition -> offset and
   * metadata), read once no transaction is about to move them (requireStable).
   */
  async groupOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, Map<number, CommittedOffset>>> {
    const counts = await this.partitionCounts(topics);
    const result = new Map<string, Map<number, CommittedOffset>>();
    if (counts.size === 0) return result;
    const groups = await this.#admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [...counts].map(([name, count]) => ({ name, partitionIndexes: Array.from({ length: count }, (_, index) => index) })) }],
      requireStable: true,
    });
    for (const topic of groups.flatMap((group) => group.topics)) {
      const committed = new Map<number, CommittedOffset>();
      for (const partition of topic.partitions) {
        if (partition.committedOffset >= 0n) committed.set(partition.partitionIndex, { offset: partition.committedOffset, metadata: partition.metadata ?? null });
      }
      if (committed.size > 0) result.set(topic.name, committed);
    }
    return result;
  }

  /** How many members a consumer group has now (0 for a group nobody joined). */
  async groupMembers(groupId: string): Promise<number> {
    const groups = await this.#admin.describeGroups({ groups: [groupId] });
    return groups.get(groupId)?.members.size ?? 0;
  }

  /** Sets a consumer group's offsets (the group must have no running member). */
  async setGroupOffsets(groupId: string, offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: bigint }[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const { topic, partition, offset } of offsets) byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }]);
    await this.#admin.alterConsumerGroupOffsets({ groupId, topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })) });
  }

  /**
   * Waits until every partition of `topics` has a leader. A KRaft broker answers
   * UNKNOWN_TOPIC_OR_PARTITION for a topic just created until its metadata has caught up with
   * the controller: here that answer means "not yet".
   */
  async #waitForLeaders(topics: readonly string[]): Promise<void> {
    const deadline = Date.now() + LEADERS_TIMEOUT_MS;
    let lastProblem = '';
    for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 1000)) {
      try {
        const metadata = await this.#admin.metadata({ topics: [...topics], forceUpdate: true });
        const waiting = topics.filter((name) => {
          const topic = metadata.topics.get(name);
          return topic === undefined || topic.partitions.length === 0 || topic.partitions.some((partition) => partition.leader < 0);
        });
        if (waiting.length === 0) return;
        lastProblem = `no leader yet for ${waiting.join(', ')}`;
      } catch (error) {
        if (!kafkaErrorIds(error).has('UNKNOWN_TOPIC_OR_PARTITION') && !kafkaErrorIds(error).has('LEADER_NOT_AVAILABLE')) throw error;
        lastProblem = error instanceof Error ? error.message : String(error);
      }
      await sleep(delay);
    }
    throw new Error(`topics ${topics.join(', ')} were created but have no leader after ${String(LEADERS_TIMEOUT_MS / 1000)} s (${lastProblem})`);
  }
}
