import type { ConnectionSettings } from '../config/connection.js';
import { redactUrl } from '../config/redact-url.js';
import { ErrorCode, KascadeError } from '../errors.js';
import { RegistryTransport } from './registry-transport.js';

/** Asks the registry for its subject list; resolves when it answers 200, throws a retriable error otherwise. */
export async function probeSchemaRegistry(connection: ConnectionSettings, timeoutMs = 3000): Promise<void> {
  const transport = new RegistryTransport(connection);
  const url = `${redactUrl(connection.schemaRegistryUrl)}/subjects`;
  let status: number;
  try {
    ({ status } = await transport.request({ method: 'GET', path: '/subjects', headers: { accept: 'application/vnd.schemaregistry.v1+json' }, timeoutMs }));
  } catch (error) {
    throw new KascadeError(ErrorCode.RegistryUnreachable, `schema registry at ${url} did not answer: ${error instanceof Error ? error.message : String(error)}`, {
      retriable: true,
      cause: error,
    });
  }
  if (status !== 200) {
    const hint = status === 401 || status === 403 ? (transport.authenticates ? ' (check the registry credentials)' : ' (the registry wants credentials: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD)') : '';
    throw new KascadeError(ErrorCode.RegistryUnreachable, `schema registry at ${url} answered HTTP ${status}${hint}`, {
      retriable: status >= 500,
    });
  }
}

export async function isSchemaRegistryAnswering(connection: ConnectionSettings, timeoutMs = 3000): Promise<boolean> {
  try {
    await probeSchemaRegistry(connection, timeoutMs);
    return true;
  } catch {
    return false;
  }
}
