/**
 * The limits a kascade stage is compared with: a hand-written kafkajs consumer that copies each
 * record to the output topic, either as the same bytes (--mode bytes) or decoded and encoded
 * again with the schema registry (--mode avro), with nothing else on the path. Same consumer
 * and producer settings as a kascade stage under at-least-once: eachBatch over 4 partitions at
 * a time, an idempotent producer with acks=all, offsets committed after the batch is written.
 *
 *   tsx bench/baselines/passthrough.ts --input T --output T --group G --mode bytes|avro [--lineage]
 *
 * --lineage: each copy carries the two headers the latency measure reads, as a kascade stage
 * writes them: `kascade.origin.time` (carried, else the input's timestamp) and
 * `kascade.request-id` (carried, else the input's position). The latency limit chains two.
 */
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { connectionFromEnv } from '../../src/config/connection.js';
// TLS and SASL as configured, with kafkajs's own client settings rather than kascade's (client.ts).
import { kafkaSecurityOptions } from '../../src/kafka/kafkajs/security-options.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';

const { values } = parseArgs({
  options: { input: { type: 'string' }, output: { type: 'string' }, group: { type: 'string' }, mode: { type: 'string', default: 'bytes' }, lineage: { type: 'boolean', default: false } },
});
const { input, output, group, mode, lineage } = values;
if (input === undefined || output === undefined || group === undefined || (mode !== 'bytes' && mode !== 'avro')) {
  throw new Error('usage: passthrough.ts --input T --output T --group G --mode bytes|avro');
}

const connection = connectionFromEnv();
const kafka = new Kafka({ clientId: 'bench-passthrough', brokers: [...connection.brokers], ...kafkaSecurityOptions(connection.kafkaSecurity), logLevel: logLevel.NOTHING });
const registry = createSchemaRegistry(connection);
const schema = readFileSync('bench/topologies/schemas/request.avsc', 'utf8');
const outputSchemaId = mode === 'avro' ? (await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${output}-value` })).id : 0;

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 250 });
await producer.connect();
// The latency measure starts sending once both hops print this.
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('joined\n'));
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });

interface Consumed {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly offset: string;
  readonly headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

function lineageHeaders(message: Consumed, partition: number): Record<string, string> {
  const carried = (name: string): string | undefined => {
    const value = message.headers?.[name];
    return value === undefined || Array.isArray(value) ? undefined : value.toString();
  };
  return {
    'kascade.origin.time': carried('kascade.origin.time') ?? message.timestamp,
    'kascade.request-id': carried('kascade.request-id') ?? `${String(partition)}/${message.offset}`,
  };
}

async function copy(message: Consumed, partition: number): Promise<Message> {
  const headers = lineage ? { headers: lineageHeaders(message, partition) } : {};
  if (mode === 'bytes' || message.value === null) return { key: message.key, value: message.value, ...headers };
  const decoded: unknown = await registry.decode(message.value);
  return { key: message.key, value: await registry.encode(outputSchemaId, decoded), ...headers };
}

await consumer.run({
  partitionsConsumedConcurrently: 4,
  eachBatchAutoResolve: false,
  eachBatch: async (payload) => {
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length && payload.isRunning(); start += 500) {
      const chunk = batch.messages.slice(start, start + 500);
      const last = chunk[chunk.length - 1];
      if (last === undefined) break;
      await producer.send({ topic: output, messages: await Promise.all(chunk.map((message) => copy(message, batch.partition))) });
      payload.resolveOffset(last.offset);
      await payload.heartbeat();
    }
  },
});
