import { readFileSync } from 'node:fs';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Kafka, Producer } from 'kafkajs';
import type { ConnectionSettings } from '../../src/config/connection.js';
import { createProducer } from '../../src/kafka/kafkajs/client.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';
import { reliabilityEvents } from './events.js';

const SCHEMA_FILES = {
  1: 'integration-tests/reliability/fixtures/schemas/event.avsc',
  2: 'integration-tests/reliability/fixtures/schemas/event-v2.avsc',
} as const;
const CHUNK = 100;

export interface GeneratorOptions {
  readonly run: string;
  readonly topic: string;
  readonly keys: number;
}

/**
 * Writes generated events keyed by their key, Avro-encoded with the registry client library
 * (independently of kascade's serde). A chunk that fails is sent again until it lands, so the
 * generator rides through broker faults; a resent chunk may land twice, which the verifier
 * accounts for (it counts what is in the input topic, not what was meant to be).
 */
export class EventGenerator {
  private readonly registry;
  private readonly producer: Producer;
  private schemaId: number | undefined;
  private written = 0;
  private stopped = false;
  private held = false;
  private running: Promise<void> | undefined;
  /** Sends that failed and were retried (a broker fault seen from the producer's side). */
  retries = 0;

  constructor(
    kafka: Kafka,
    connection: ConnectionSettings,
    private readonly options: GeneratorOptions,
  ) {
    this.registry = createSchemaRegistry(connection);
    this.producer = createProducer(kafka);
  }

  get count(): number {
    return this.written;
  }

  async connect(): Promise<void> {
    await this.useSchema(1);
    await this.producer.connect();
  }

  /** Registers a schema version and writes the next events with it (a producer upgrade). */
  async useSchema(version: keyof typeof SCHEMA_FILES): Promise<number> {
    const schema = readFileSync(SCHEMA_FILES[version], 'utf8');
    this.schemaId = (await this.registry.register({ type: SchemaType.AVRO, schema }, { subject: `${this.options.topic}-value` })).id;
    return this.schemaId;
  }

  /** Holds steady writing (e.g. while a fault is set up) until `resume()`. */
  hold(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
  }

  /** Writes `count` more events as fast as the broker takes them. */
  async write(count: number): Promise<void> {
    const target = this.written + count;
    while (this.written < target) await this.sendChunk(Math.min(CHUNK, target - this.written));
  }

  /** Writes about `perSecond` events a second in the background until `stop()`. */
  startSteady(perSecond: number): void {
    const chunk = Math.max(1, Math.round(perSecond / 10));
    this.running = (async () => {
      const started = Date.now();
      const startCount = this.written;
      while (!this.stopped) {
        const due = startCount + ((Date.now() - started) / 1000) * perSecond;
        if (this.written < due && !this.held) await this.sendChunk(chunk);
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
  }

  /** Stops steady writing; resolves once the last chunk landed. */
  async stop(): Promise<number> {
    this.stopped = true;
    await this.running;
    return this.written;
  }

  async disconnect(): Promise<void> {
    await this.stop();
    await this.producer.disconnect();
  }

  private async sendChunk(size: number): Promise<void> {
    const schemaId = this.schemaId;
    if (schemaId === undefined) throw new Error('EventGenerator.connect() first');
    const events = reliabilityEvents(this.options.run, this.written, size, this.options.keys);
    const values = await Promise.all(events.map((event) => this.registry.encode(schemaId, event)));
    const messages = events.map((event, index) => ({ key: event.key, value: values[index]! }));
    for (;;) {
      try {
        await this.producer.send({ topic: this.options.topic, messages });
        break;
      } catch {
        this.retries += 1;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    this.written += size;
  }
}
