import type { ConnectionSettings } from './connection.js';

/**
 * The connection settings as a user checks them (`kascade doctor`): addresses, protocol,
 * mechanism, user names and file paths; never a password or a key.
 */
export function describeKafkaConnection(connection: ConnectionSettings): string {
  const security = connection.kafkaSecurity;
  const details: string[] = [];
  if (security !== undefined && security.protocol !== 'PLAINTEXT') {
    details.push(security.protocol);
    if (security.sasl !== undefined) details.push(`${security.sasl.mechanism} as "${security.sasl.username}"`);
    const tls = security.tls;
    if (tls !== undefined) {
      details.push(tls.caFile === undefined ? "Node's built-in CAs" : `CA ${tls.caFile}`);
      if (tls.clientCertificate !== undefined) details.push(`client certificate ${tls.clientCertificate.certFile}`);
      if (!tls.verifyCertificate) details.push('certificates NOT verified');
      else if (!tls.verifyHostname) details.push('host names NOT verified');
    }
  }
  const brokers = `KAFKA_BROKERS=${connection.brokers.join(',')}`;
  return details.length === 0 ? brokers : `${brokers} (${details.join(', ')})`;
}

export function describeRegistryConnection(connection: ConnectionSettings): string {
  const details: string[] = [];
  if (connection.schemaRegistryAuth !== undefined) details.push(`basic auth as "${connection.schemaRegistryAuth.username}"`);
  if (connection.schemaRegistryCaFile !== undefined) details.push(`CA ${connection.schemaRegistryCaFile}`);
  const url = `SCHEMA_REGISTRY_URL=${connection.schemaRegistryUrl}`;
  return details.length === 0 ? url : `${url} (${details.join(', ')})`;
}
