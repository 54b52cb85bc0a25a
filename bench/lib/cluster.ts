import type { Admin, Kafka } from 'kafkajs';
import { connectionFromEnv, type ConnectionSettings } from '../../src/config/connection.js';
import { createKafka } from '../../src/kafka/kafkajs/client.js';
import { ensureTopics } from '../../src/kafka/admin/topic-admin.js';
import type { KafkaAccess } from '../../src/kafka/platformatic/cluster-admin.js';
import { createHttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { createTopicSerdes, type TopicSerdes } from '../../src/serde/serde-factory.js';
import { loadTopologyFile, type LoadedTopology } from '../../src/topology/load.js';
import { topologyTopics } from '../../src/topology/topics.js';

export const BENCH_TOPOLOGY = 'bench/topologies/bench.yaml';

/** The broker, the registry and the bench topology for one pair of KASCADE_DATA / KASCADE_RUN names. */
export class Cluster {
  readonly connection: ConnectionSettings = connectionFromEnv();
  readonly kafka: Kafka = createKafka(this.connection, { clientId: 'kascade-bench', logLevel: 'nothing' });
  /** What kascade's admin steps and topic readers connect with. */
  readonly access: KafkaAccess = { connection: this.connection, clientId: 'kascade-bench' };

  /** The bench topology with its topics named for `data` (inputs) and `run` (outputs, groups). */
  async topology(data: string, run: string, extra: Readonly<Record<string, string>> = {}): Promise<LoadedTopology> {
    return loadTopologyFile(BENCH_TOPOLOGY, { env: { ...process.env, KASCADE_DATA: data, KASCADE_RUN: run, ...extra } });
  }

  serdes(loaded: LoadedTopology): TopicSerdes {
    return createTopicSerdes(loaded.spec, { registry: createHttpSchemaRegistryClient(this.connection), baseDir: loaded.baseDir });
  }

  async createTopics(loaded: LoadedTopology): Promise<void> {
    await ensureTopics(this.access, topologyTopics(loaded.spec));
  }

  /** Deletes the topics whose names start with `prefix` (a finished repetition's outputs). */
  async deleteTopics(prefix: string): Promise<void> {
    const admin = await this.admin();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  }

  /** Records in `topics` now: the sum of their partitions' high watermarks (transaction markers included). */
  async endOffsets(topics: readonly string[]): Promise<number> {
    const admin = await this.admin();
    let total = 0;
    try {
      for (const topic of topics) {
        for (const partition of await admin.fetchTopicOffsets(topic)) total += Number(partition.high);
      }
    } catch (error) {
      // Stale metadata after topics came and went (NOT_LEADER_FOR_PARTITION): a new admin next time.
      await this.close().catch(() => undefined);
      throw error;
    }
    return total;
  }

  /** endOffsets, or undefined while the cluster answers with a retriable error. */
  async endOffsetsOrRetry(topics: readonly string[]): Promise<number | undefined> {
    try {
      return await this.endOffsets(topics);
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable === true) return undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.connectedAdmin?.disconnect();
    this.connectedAdmin = undefined;
  }

  private connectedAdmin: Admin | undefined;

  private async admin(): Promise<Admin> {
    if (this.connectedAdmin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.connectedAdmin = admin;
    }
    return this.connectedAdmin;
  }
}
