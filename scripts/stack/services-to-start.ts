import { connectionFromEnv, DEFAULT_KAFKA_BROKERS, DEFAULT_SCHEMA_REGISTRY_URL } from '../../src/config/connection.js';
import { isKafkaAnswering } from '../../src/kafka/admin/probe.js';
import { isSchemaRegistryAnswering } from '../../src/serde/registry-probe.js';
import { kafkaService } from './kafka-service.js';
import { registryService } from './registry-service.js';
import type { LocalService } from './service.js';

/**
 * The local services to start because nothing answers where a run will look (`npm test`,
 * `npm run bench`); throws when an address that does not answer is not the local stack's.
 */
export async function servicesToStart(): Promise<LocalService[]> {
  const connection = connectionFromEnv();
  const [kafkaUp, registryUp] = await Promise.all([isKafkaAnswering(connection, 1500), isSchemaRegistryAnswering(connection, 1500)]);
  const missing: LocalService[] = [];
  if (!kafkaUp) {
    if (connection.brokers.join(',') !== DEFAULT_KAFKA_BROKERS) {
      throw new Error(`nothing answers at KAFKA_BROKERS=${connection.brokers.join(',')}; start that cluster or unset KAFKA_BROKERS`);
    }
    missing.push(kafkaService);
  }
  if (!registryUp) {
    if (connection.schemaRegistryUrl !== DEFAULT_SCHEMA_REGISTRY_URL) {
      throw new Error(`nothing answers at SCHEMA_REGISTRY_URL=${connection.schemaRegistryUrl}; start it or unset SCHEMA_REGISTRY_URL`);
    }
    missing.push(registryService);
  }
  return missing;
}
