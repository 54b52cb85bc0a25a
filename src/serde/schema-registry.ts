import { Agent } from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ConnectionSettings } from '../config/connection.js';

/** A client of the configured Confluent-compatible registry: its credentials and CA, never logged. */
export function createSchemaRegistry(connection: ConnectionSettings): SchemaRegistry {
  const ca = connection.schemaRegistryCa;
  return new SchemaRegistry({
    host: connection.schemaRegistryUrl,
    ...(connection.schemaRegistryAuth === undefined ? {} : { auth: { ...connection.schemaRegistryAuth } }),
    ...(ca === undefined ? {} : { agent: new Agent({ keepAlive: true, ca }) }),
  });
}
