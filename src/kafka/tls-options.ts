import type { ConnectionOptions } from 'node:tls';
import type { KafkaTlsSettings } from '../config/kafka-security.js';

/** Node's TLS options for the brokers, as every Kafka client kascade runs takes them. */
export function tlsOptions(tls: KafkaTlsSettings): ConnectionOptions {
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
