import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { createProducer } from '../../src/kafka/kafkajs/client.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';
import { connection } from './kafka.js';
import { waitForGroupCaughtUp } from './group-progress.js';

export const PIPELINE_FILE = 'integration-tests/fixtures/pipeline.yaml';
export const TRANSFORMS_FILE = 'integration-tests/fixtures/transforms.ts';

export interface Request {
  readonly id: string;
  readonly user: string;
  readonly seq: number;
  readonly amount: number;
}

/** One isolated copy of fixtures/pipeline.yaml: its own topics and consumer groups. */
export class PipelineFixture {
  readonly run = `it${randomUUID().slice(0, 8)}`;
  readonly env: Record<string, string>;
  readonly registry = createSchemaRegistry(connection);

  constructor(delivery: 'at-least-once' | 'exactly-once' = 'at-least-once') {
    this.env = { KASCADE_RUN: this.run, KASCADE_DELIVERY: delivery };
  }

  get requests(): string {
    return `${this.run}.requests`;
  }
  get scored(): string {
    return `${this.run}.scored`;
  }
  get labelled(): string {
    return `${this.run}.labelled`;
  }
  group(stage: string): string {
    return `it-${this.run}.${stage}`;
  }

  /** `kascade topics` on the fixture: creates every topic with its declared partitions. */
  createTopics(): void {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'topics', PIPELINE_FILE], {
      env: { ...process.env, ...this.env },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`kascade topics failed (${String(result.status)}): ${result.stdout}${result.stderr}`);
  }

  /** `count` requests over `users` keys, seq counting up per user. */
  static requests(count: number, users: number, prefix = 'r'): Request[] {
    return Array.from({ length: count }, (_, index) => ({
      id: `${prefix}-${index}`,
      user: `user-${index % users}`,
      seq: Math.floor(index / users),
      amount: (index % 97) * 1.5,
    }));
  }

  /** Avro-encodes requests with the registry client library (independently of kascade's serde) and produces them keyed by user. */
  async produce(kafka: Kafka, requests: readonly Request[]): Promise<number> {
    const schema = readFileSync('integration-tests/fixtures/schemas/request.avsc', 'utf8');
    const { id } = await this.registry.register({ type: SchemaType.AVRO, schema }, { subject: `${this.requests}-value` });
    const producer = createProducer(kafka);
    await producer.connect();
    try {
      for (let start = 0; start < requests.length; start += 1000) {
        const slice = requests.slice(start, start + 1000);
        const values = await Promise.all(slice.map((request) => this.registry.encode(id, request)));
        await producer.send({ topic: this.requests, messages: slice.map((request, index) => ({ key: request.user, value: values[index]! })) });
      }
    } finally {
      await producer.disconnect();
    }
    return id;
  }

  /** Records of `topic` the stage's group has committed past, summed over partitions. */
  async committed(kafka: Kafka, stage: string, topic: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId: this.group(stage), topics: [topic] });
      return (committed[0]?.partitions ?? []).reduce((sum, entry) => sum + Math.max(0, Number(entry.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until the stage's group has committed offsets up to the end of every partition of `topic`. */
  waitForCaughtUp(kafka: Kafka, stage: string, topic: string, timeoutMs = 120_000): Promise<void> {
    return waitForGroupCaughtUp(kafka, this.group(stage), topic, { timeoutMs });
  }
}
