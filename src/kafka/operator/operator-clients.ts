import type { Kafka } from 'kafkajs';
import type { ConnectionSettings } from '../../config/connection.js';
import { createKafka, type KafkaClientOptions } from '../kafkajs/client.js';

/**
 * What the operator tools connect with: kafkajs for admin calls and the writes they make, and the
 * connection settings for reading, which goes through @platformatic/kafka's explicit fetches
 * (read_committed done right, headers exact; see committed-span-reader.ts).
 */
export interface OperatorClients {
  readonly kafka: Kafka;
  readonly connection: ConnectionSettings;
}

export function operatorClients(connection: ConnectionSettings, options: KafkaClientOptions): OperatorClients {
  return { kafka: createKafka(connection, options), connection };
}
