import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSecurity, SaslSettings } from '../../config/kafka-security.js';
import { tlsOptions } from '../tls-options.js';

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
