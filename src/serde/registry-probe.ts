import type { ConnectionSettings } from '../config/connection.js';
import { ErrorCode, KascadeError } from '../errors.js';

/** Asks the registry for its subject list; resolves when it answers 200, throws a retriable error otherwise. */
export async function probeSchemaRegistry(connection: ConnectionSettings, timeoutMs = 3000): Promise<void> {
  const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json' };
  const auth = connection.schemaRegistryAuth;
  if (auth !== undefined) {
    headers['authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }
  const url = `${connection.schemaRegistryUrl}/subjects`;
  let status: number;
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    status = response.status;
  } catch (error) {
    throw new KascadeError(ErrorCode.RegistryUnreachable, `schema registry at ${url} did not answer: ${reason(error)}`, {
      retriable: true,
      cause: error,
    });
  }
  if (status !== 200) {
    throw new KascadeError(ErrorCode.RegistryUnreachable, `schema registry at ${url} answered HTTP ${status}`, {
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

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
