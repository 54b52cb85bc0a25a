import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createProducer } from '../../src/kafka/kafkajs/client.js';
import { ensureTopics } from '../../src/kafka/admin/topic-admin.js';
import { topologyTopics } from '../../src/topology/topics.js';
import { runTopology, type RunningTopology } from '../../src/kafka/topology-runner.js';
import { createHttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../../src/serde/serde-factory.js';
import { jsonLogger } from '../../src/telemetry/logger.js';
import type { ModelRunner } from '../../src/inference/model-runner.js';
import { onnxRunner } from '../../src/runtime/stage-handlers.js';
import { topicPartitioner } from '../../src/routing/colocation.js';
import { loadTopologyFile, type LoadedTopology } from '../../src/topology/load.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { featuresFor } from '../../test/helpers/ctr-model.js';
import { connection, testAccess } from './kafka.js';

export const INFERENCE_FILE = 'integration-tests/fixtures/inference.yaml';

/** A copy of fixtures/inference.yaml with its own topics and groups, run inside the test process. */
export class InferenceFixture {
  readonly run = `inf${randomUUID().slice(0, 8)}`;
  readonly env: Record<string, string>;
  readonly logs: string[] = [];
  loaded: LoadedTopology | undefined;

  constructor(env: Record<string, string> = {}) {
    this.env = { KASCADE_RUN: this.run, ...env };
  }

  topic(name: 'requests' | 'predictions' | 'cohort-requests' | 'cohort-predictions'): string {
    return `${this.run}.${name}`;
  }

  /** Loads the fixture and creates all its topics (as `kascade topics` would). */
  async load(): Promise<LoadedTopology> {
    if (this.loaded === undefined) {
      this.loaded = await loadTopologyFile(INFERENCE_FILE, { env: { ...process.env, ...this.env } });
      await ensureTopics(testAccess, topologyTopics(this.loaded.spec));
    }
    return this.loaded;
  }

  /** Sessions loaded in each stage instance's worker pool right now (load adds a handle, release removes it). */
  readonly liveSessions: Set<string>[] = [];

  /** Starts one stage instance (a consumer-group member) of the fixture in this process. */
  async start(stage: 'score' | 'cohorts'): Promise<RunningTopology> {
    const live = new Set<string>();
    this.liveSessions.push(live);
    const { spec, baseDir, modelsRoot } = await this.load();
    return runTopology({
      spec,
      connection,
      serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir }),
      plugins: { transforms: new TransformRegistry(), createModelRunner: (inference) => trackSessions(onnxRunner(inference), live) },
      logger: jsonLogger('info', {}, (line) => this.logs.push(line)),
      modelsRoot,
      stages: [stage],
    });
  }

  /** JSON requests with deterministic features; `colocated` places them as the topology's colocation says. */
  async produce(
    kafka: Kafka,
    topic: string,
    requests: readonly { id: string; user: string; index: number }[],
    colocated = true,
    headersFor?: (request: { id: string; index: number }) => Record<string, string>,
  ): Promise<void> {
    const { spec } = await this.load();
    const producer = createProducer(kafka, colocated ? { partitioner: topicPartitioner(spec) } : {});
    await producer.connect();
    try {
      for (let start = 0; start < requests.length; start += 500) {
        await producer.send({
          topic,
          messages: requests.slice(start, start + 500).map((request) => ({
            key: request.user,
            value: JSON.stringify({ id: request.id, user: request.user, features: featuresFor(request.index) }),
            ...(headersFor === undefined ? {} : { headers: headersFor(request) }),
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
  }
}

/** The real runner, watched: which session handles are alive. */
function trackSessions(runner: ModelRunner, live: Set<string>): ModelRunner {
  return {
    load: async (handle, model, options) => {
      const metadata = await runner.load(handle, model, options);
      live.add(handle);
      return metadata;
    },
    run: (handle, feeds) => runner.run(handle, feeds),
    release: async (handle) => {
      await runner.release(handle);
      live.delete(handle);
    },
    close: () => runner.close(),
  };
}

export function requests(count: number, users: readonly string[], prefix = 'r', offset = 0): { id: string; user: string; index: number }[] {
  return Array.from({ length: count }, (_, position) => {
    const index = offset + position;
    return { id: `${prefix}-${index}`, user: users[index % users.length] ?? 'nobody', index };
  });
}
