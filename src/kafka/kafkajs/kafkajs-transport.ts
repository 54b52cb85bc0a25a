import type { Producer } from 'kafkajs';
import type { ConnectionSettings } from '../../config/connection.js';
import type { StageTransport } from '../../runtime/delivery/ports.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ConsumerTuning, DeliveryGuarantee } from '../../topology/spec.js';
import { BatchingSink } from '../produce/batching-sink.js';
import { createKafka, createProducer, type KeyPartitioner } from './client.js';
import { toTopicMessages } from './messages.js';
import { type TopicLimit } from '../produce/request-size.js';
import { KafkajsOffsetLog } from './kafkajs-offset-log.js';
import { KafkajsRecordSource } from './kafkajs-record-source.js';
import { KafkajsTransactions } from './kafkajs-transactions.js';

export interface KafkajsTransportOptions {
  readonly connection: ConnectionSettings;
  readonly stage: string;
  readonly groupId: string;
  readonly inputs: readonly string[];
  readonly delivery: DeliveryGuarantee;
  readonly logger: Logger;
  readonly tuning?: ConsumerTuning | undefined;
  readonly partitioner?: KeyPartitioner | undefined;
  readonly topicLimit?: TopicLimit | undefined;
  readonly fromBeginning?: boolean | undefined;
}

/** A stage's ports on kafkajs: a consumer group member, its offsets, and a batching or per-partition transactional producer. */
export async function kafkajsTransport(options: KafkajsTransportOptions): Promise<StageTransport> {
  const { groupId, partitioner, topicLimit } = options;
  const kafka = createKafka(options.connection, { clientId: `kascade.${options.stage}`, logLevel: 'warn' });
  let transactions: KafkajsTransactions | undefined;
  const source = new KafkajsRecordSource({ ...options, kafka, onAssigned: (owned) => void transactions?.retain(owned) });
  const offsets = new KafkajsOffsetLog(kafka, groupId, () => source.consumerInUse(), (topic, partition) => transactions?.writer.writtenUpTo(topic, partition));
  if (options.delivery === 'exactly-once') {
    transactions = new KafkajsTransactions({ kafka, groupId, partitioner, topicLimit, alsoClose: () => offsets.close() });
    return { source, offsets, transactions };
  }
  const connectProducer = async (): Promise<Producer> => {
    const producer = createProducer(kafka, partitioner === undefined ? {} : { partitioner });
    await producer.connect();
    return producer;
  };
  const sink = new BatchingSink(
    await connectProducer(),
    {
      send: async (producer, records) => {
        await producer.sendBatch({ topicMessages: toTopicMessages(records) });
      },
      renew: async (failed) => {
        await failed.disconnect().catch(() => undefined);
        return connectProducer();
      },
      close: (producer) => producer.disconnect(),
    },
    topicLimit,
  );
  return { source, offsets, sink: { send: (records) => sink.send(records), close: async () => (await Promise.all([sink.close(), offsets.close()]), undefined) } };
}
