import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ConnectionSettings } from '../config/connection.js';

/** A client of the configured Confluent-compatible registry (credentials come from the URL, never logged). */
export function createSchemaRegistry(connection: ConnectionSettings): SchemaRegistry {
  return new SchemaRegistry({
    host: connection.schemaRegistryUrl,
    ...(connection.schemaRegistryAuth === undefined ? {} : { auth: { ...connection.schemaRegistryAuth } }),
  });
}
