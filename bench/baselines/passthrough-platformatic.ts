/**
 * The pass-through limit of @platformatic/kafka, kascade's default client: the job of
 * passthrough.ts (consume a topic in a group, copy each record to the output as the same bytes
 * or decoded and encoded again with the schema registry, commit what the output acknowledged),
 * written with the library's public API as a careful user would:
 *
 * - no autocommit: the library's autocommit commits what was fetched, not what was written;
 *   offsets are committed after the produce that carried them was acknowledged;
 * - fetch sizes of a stage (256 KiB per partition, 8 MiB per response, not the 10 MiB per
 *   partition the library defaults to) and 250 ms of fetch wait, as the kafkajs baseline;
 * - retries 100 ms apart instead of the library's 1 s;
 * - an idempotent producer, acks=all (the library forces one request in flight per broker for it);
 * - chunks of at most 500 records per send, as the kafkajs baseline and a stage's maxBatchSize;
 *   one send at a time: in 1.35.0 the idempotent producer advances a partition's sequence only
 *   when a send is acknowledged, so a second send in flight reuses the first one's sequence
 *   numbers and the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER. The next chunk is read and
 *   copied while the previous send is in flight.
 *
 *   tsx bench/baselines/passthrough-platformatic.ts --input T --output T --group G --mode bytes|avro [--lineage]
 */
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes, Producer, type Message, type MessageToProduce } from '@platformatic/kafka';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectionFromEnv } from '../../src/config/connection.js';
import { createSchemaRegistry } from '../../src/serde/schema-registry.js';

const { values } = parseArgs({
  options: {
    input: { type: 'string' },
    output: { type: 'string' },
    group: { type: 'string' },
    mode: { type: 'string', default: 'bytes' },
    lineage: { type: 'boolean', default: false },
    chunk: { type: 'string', default: '500' },
  },
});
const { input, output, group, mode, lineage } = values;
if (input === undefined || output === undefined || group === undefined || (mode !== 'bytes' && mode !== 'avro')) {
  throw new Error('usage: passthrough-platformatic.ts --input T --output T --group G --mode bytes|avro [--lineage] [--chunk N]');
}
const outputTopic: string = output;
const chunkSize = Number(values.chunk);
if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`--chunk ${values.chunk}: expected a positive integer`);

const connection = connectionFromEnv();
// The bench runs on the local stack; mapping TLS and SASL here would be the adapter's job, not a baseline's.
if (connection.kafkaSecurity?.tls !== undefined || connection.kafkaSecurity?.sasl !== undefined) {
  throw new Error('passthrough-platformatic.ts: TLS and SASL are not mapped; run it against a plaintext broker');
}
const registry = createSchemaRegistry(connection);
const schema = readFileSync('bench/topologies/schemas/request.avsc', 'utf8');
const outputSchemaId = mode === 'avro' ? (await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${output}-value` })).id : 0;

const base = {
  bootstrapBrokers: [...connection.brokers],
  // 100 ms between retries (the library waits 1 s): a leader move or a coordinator load costs less.
  retryDelay: 100,
  retries: 10,
  timeout: 30_000,
};
const producer = new Producer({ ...base, clientId: 'bench-passthrough-platformatic-producer', idempotent: true, autocreateTopics: false });
const consumer = new Consumer({
  ...base,
  clientId: 'bench-passthrough-platformatic',
  groupId: group,
  autocommit: false,
  maxBytesPerPartition: 262_144,
  maxBytes: 8 * 1024 * 1024,
  maxWaitTime: 250,
  minBytes: 1,
  // Records buffered ahead of the copy loop (the library's default is 1,024): one fetch of 4
  // partitions at 256 KiB is about 5,000 of these ~190-byte requests, so the next fetch overlaps the sends.
  highWaterMark: 8192,
});
await producer.initIdempotentProducer({});
// The latency measure starts sending once both hops print this.
consumer.on('consumer:group:join', () => process.stdout.write('joined\n'));
const stream = await consumer.consume({ topics: [input], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST });

const text = (value: Buffer | undefined): string | undefined => value?.toString('utf8');

function lineageHeaders(message: Message): Map<Buffer, Buffer> {
  let origin: string | undefined;
  let requestId: string | undefined;
  for (const [name, value] of message.headers) {
    const key = name.toString('utf8');
    if (key === 'kascade.origin.time') origin = text(value);
    else if (key === 'kascade.request-id') requestId = text(value);
  }
  return new Map([
    [Buffer.from('kascade.origin.time'), Buffer.from(origin ?? String(message.timestamp))],
    [Buffer.from('kascade.request-id'), Buffer.from(requestId ?? `${String(message.partition)}/${String(message.offset)}`)],
  ]);
}

async function copy(message: Message): Promise<MessageToProduce> {
  // The default deserializers hand over null keys and values as undefined, whatever the types say.
  const key = message.key as Buffer | undefined;
  const value = message.value as Buffer | undefined;
  const copied: MessageToProduce = { topic: outputTopic, ...(key === undefined ? {} : { key }), ...(lineage ? { headers: lineageHeaders(message) } : {}) };
  if (value === undefined) return copied;
  if (mode === 'bytes') return { ...copied, value };
  const decoded: unknown = await registry.decode(value);
  return { ...copied, value: await registry.encode(outputSchemaId, decoded) };
}

/**
 * Commits what the output acknowledged: one commit in flight at a time, the next one carrying
 * the latest acknowledged offset of every partition (acknowledgements come in send order, so
 * the offsets only grow).
 */
class AckedCommitter {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private inFlight: Promise<void> | undefined;

  acknowledged(offsets: ReadonlyMap<string, { topic: string; partition: number; offset: bigint }>): void {
    for (const [key, entry] of offsets) this.pending.set(key, entry);
    this.inFlight ??= this.drain().finally(() => {
      this.inFlight = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const offsets = [...this.pending.values()].map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset,
        // The epoch the client last saw for the partition; -1 (unknown) is what the protocol allows otherwise.
        leaderEpoch: consumer.currentMetadata?.topics.get(topic)?.partitions[partition]?.leaderEpoch ?? -1,
      }));
      this.pending.clear();
      await consumer.commit({ offsets });
    }
  }
}

const committer = new AckedCommitter();

/** Sends one prepared chunk and, once acknowledged, hands its offsets to the committer. */
async function send(messages: MessageToProduce[], offsets: ReadonlyMap<string, { topic: string; partition: number; offset: bigint }>): Promise<void> {
  await producer.send({ messages });
  committer.acknowledged(offsets);
}

/*
 * The stream fetches only while someone listens (its flowing state is not null), so one
 * 'readable' listener stays for the process's life and wakes the copy loop when records arrive.
 */
let wake: (() => void) | undefined;
let failure: Error | undefined;
stream.on('readable', () => wake?.());
stream.on('error', (error: Error) => {
  failure = error;
  wake?.();
});

let inFlight: Promise<void> = Promise.resolve();
for (;;) {
  if (failure !== undefined) throw failure;
  // Whatever the stream has buffered, at most a chunk: a send never waits for a fuller fetch.
  const chunk: Message[] = [];
  while (chunk.length < chunkSize) {
    const message = stream.read() as Message | null;
    if (message === null) break;
    chunk.push(message);
  }
  if (chunk.length === 0) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
    continue;
  }
  // The next offset to read of each partition in this chunk: what the commit names once it is written.
  const offsets = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const message of chunk) offsets.set(`${message.topic}:${String(message.partition)}`, { topic: message.topic, partition: message.partition, offset: message.offset + 1n });
  const copies = await Promise.all(chunk.map(copy));
  await inFlight;
  inFlight = send(copies, offsets);
}
