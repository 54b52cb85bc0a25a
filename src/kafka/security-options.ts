import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSecurity, KafkaTlsSettings, SaslSettings } from '../config/kafka-security.js';

/**
 * The `ssl` and `sasl` options of a kafkajs client for the configured security protocol. Kept
 * apart from client.ts so that a plain kafkajs client, such as the benchmark's baseline,
 * connects the same way without kascade's client options.
 */
export function kafkaSecurityOptions(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined) return {};
  return {
    ...(security.tls === undefined ? {} : { ssl: tlsOptions(security.tls) }),
    ...(security.sasl === undefined ? {} : { sasl: saslOptions(security.sasl) }),
  };
}

function tlsOptions(tls: KafkaTlsSettings): ConnectionOptions {
  const client = tls.clientCertificate;
  return {
    // Without a CA, Node's built-in list applies; with one, only it (as librdkafka's ssl.ca.location).
    ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
    ...(client === undefined ? {} : { cert: client.cert, key: client.key }),
    ...(client?.keyPassword === undefined ? {} : { passphrase: client.keyPassword }),
    rejectUnauthorized: tls.verifyCertificate,
    // Hostname checks off (an explicit insecure choice) keeps the chain check: any name is accepted.
    ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}

function saslOptions(sasl: SaslSettings): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}
