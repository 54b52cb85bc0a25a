import { connectionFromEnv, DEFAULT_KAFKA_BROKERS, DEFAULT_SCHEMA_REGISTRY_URL } from '../../src/config/connection.js';
import { isKafkaAnswering } from '../../src/kafka/probe.js';
import { isSchemaRegistryAnswering } from '../../src/serde/registry-probe.js';
import { stackDown, stackUp } from '../../scripts/stack/lifecycle.js';
import { kafkaService } from '../../scripts/stack/kafka-service.js';
import { registryService } from '../../scripts/stack/registry-service.js';
import type { LocalService } from '../../scripts/stack/service.js';

/**
 * Starts the local stack when nothing answers at the default addresses (as `npm test` does) and
 * returns how to stop what it started. A cluster named by KAFKA_BROKERS must already run.
 */
export async function ensureLocalStack(say: (line: string) => void): Promise<() => Promise<void>> {
  const connection = connectionFromEnv();
  const [kafkaUp, registryUp] = await Promise.all([isKafkaAnswering(connection, 1500), isSchemaRegistryAnswering(connection, 1500)]);
  const missing: LocalService[] = [];
  if (!kafkaUp) {
    if (connection.brokers.join(',') !== DEFAULT_KAFKA_BROKERS) throw new Error(`nothing answers at KAFKA_BROKERS=${connection.brokers.join(',')}`);
    missing.push(kafkaService);
  }
  if (!registryUp) {
    if (connection.schemaRegistryUrl !== DEFAULT_SCHEMA_REGISTRY_URL) throw new Error(`nothing answers at SCHEMA_REGISTRY_URL=${connection.schemaRegistryUrl}`);
    missing.push(registryService);
  }
  if (missing.length === 0) return () => Promise.resolve();
  say('starting the local stack for this run');
  const started = await stackUp(say, missing);
  return async () => {
    say('stopping the local stack it started');
    await stackDown(say, started);
  };
}
