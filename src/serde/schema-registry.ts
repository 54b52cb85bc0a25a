import { Agent } from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ConnectionSettings } from '../config/connection.js';

type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** A request the registry has not answered by then is abandoned and asked again: it may never be answered. */
const REQUEST_TIMEOUT_MS = 10_000;

/** mappersmith's request timeout, through the client's middleware hook. */
const requestTimeout: RegistryMiddleware = () => ({
  prepareRequest: (next) => next().then((request) => request.enhance({ timeout: REQUEST_TIMEOUT_MS })),
});

/** A client of the configured Confluent-compatible registry: its credentials and CA, never logged. */
export function createSchemaRegistry(connection: ConnectionSettings): SchemaRegistry {
  const ca = connection.schemaRegistryCa;
  return new SchemaRegistry({
    host: connection.schemaRegistryUrl,
    ...(connection.schemaRegistryAuth === undefined ? {} : { auth: { ...connection.schemaRegistryAuth } }),
    ...(ca === undefined ? {} : { agent: new Agent({ keepAlive: true, ca }) }),
    middlewares: [requestTimeout],
    // Server errors, and requests that timed out (mappersmith names those errors TimeoutError).
    retry: { validateRetry: (response) => response.status() >= 500 || response.error()?.name === 'TimeoutError' },
  });
}
