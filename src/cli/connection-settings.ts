import { connectionFromEnv, type ConnectionSettings } from '../config/connection.js';
import { printError } from './command.js';

/**
 * The connection settings of a command that talks to Kafka or the registry, read once at its
 * start; each insecure choice KASCADE_ALLOW_INSECURE=true accepted is said once on stderr.
 * (`kascade run` logs them as JSON instead, through runTopology.)
 */
export function commandConnection(warn: (message: string) => void = (message) => printError(`warning: ${message}`)): ConnectionSettings {
  const connection = connectionFromEnv();
  for (const warning of connection.warnings ?? []) warn(warning);
  return connection;
}
