import { setting, type Environment, type SettingProblems } from './environment.js';
import { readCertificates, readPrivateKey } from './pem-file.js';

/** How kascade talks to the brokers, with the names librdkafka and the Java client use. */
export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface KafkaTlsSettings {
  /** PEM of the CAs to trust instead of Node's built-in list (KAFKA_SSL_CA_LOCATION). */
  readonly ca?: string;
  readonly caFile?: string;
  /** Client certificate and key for mutual TLS. */
  readonly clientCertificate?: { readonly cert: string; readonly key: string; readonly keyPassword?: string; readonly certFile: string };
  /** False only by an explicit, insecure choice (KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION=false). */
  readonly verifyCertificate: boolean;
  /** False only by an explicit, insecure choice (KAFKA_SSL_ENDPOINT_IDENTIFICATION=none). */
  readonly verifyHostname: boolean;
}

export interface SaslSettings {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

export interface KafkaSecurity {
  readonly protocol: KafkaSecurityProtocol;
  /** Present exactly when the protocol is SSL or SASL_SSL. */
  readonly tls?: KafkaTlsSettings;
  /** Present exactly when the protocol is SASL_PLAINTEXT or SASL_SSL. */
  readonly sasl?: SaslSettings;
}

export const PLAINTEXT: KafkaSecurity = Object.freeze({ protocol: 'PLAINTEXT' });

const PROTOCOLS: readonly KafkaSecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

const SASL_VARIABLES = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;
const TLS_VARIABLES = [
  'KAFKA_SSL_CA_LOCATION',
  'KAFKA_SSL_CERTIFICATE_LOCATION',
  'KAFKA_SSL_KEY_LOCATION',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SSL_ENDPOINT_IDENTIFICATION',
  'KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION',
] as const;

export interface KafkaSecurityReading {
  readonly security: KafkaSecurity;
  /** What in these settings weakens security; refused unless KASCADE_ALLOW_INSECURE=true. */
  readonly insecure: readonly string[];
}

/** Passwords are taken as given (spaces may belong to them); only an empty one counts as unset. */
function secret(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function isSet(env: Environment, name: string): boolean {
  return name.endsWith('_PASSWORD') ? secret(env, name) !== undefined : setting(env, name) !== undefined;
}

/** KAFKA_SECURITY_PROTOCOL and the SASL / TLS settings that go with it. */
export function kafkaSecurityFromEnv(env: Environment, problems: SettingProblems): KafkaSecurityReading {
  const protocol = parseProtocol(env, problems);
  if (protocol === undefined) return { security: PLAINTEXT, insecure: [] };
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const insecure: string[] = [];

  const unused = (names: readonly string[], what: string, protocols: string): void => {
    for (const name of names.filter((candidate) => isSet(env, candidate))) {
      problems.add(`${name} is set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use ${what} (${protocols} do)`);
    }
  };
  if (!usesSasl) unused(SASL_VARIABLES, 'SASL', 'SASL_SSL and SASL_PLAINTEXT');
  if (!usesTls) unused(TLS_VARIABLES, 'TLS', 'SSL and SASL_SSL');

  const sasl = usesSasl ? parseSasl(env, protocol, problems) : undefined;
  if (sasl?.mechanism === 'PLAIN' && !usesTls) {
    insecure.push('KAFKA_SASL_MECHANISM=PLAIN with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the password unencrypted (use SASL_SSL)');
  }
  const tls = usesTls ? parseTls(env, problems) : undefined;
  if (tls?.verifyCertificate === false) {
    insecure.push("KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION=false: the brokers' certificates are not checked, so anyone on the network path can pose as a broker");
  } else if (tls?.verifyHostname === false) {
    insecure.push("KAFKA_SSL_ENDPOINT_IDENTIFICATION=none: the brokers' certificates are not checked against their host names, so any certificate the CA signed is accepted");
  }
  const security: KafkaSecurity = { protocol, ...(tls === undefined ? {} : { tls: Object.freeze(tls) }), ...(sasl === undefined ? {} : { sasl: Object.freeze(sasl) }) };
  return { security: Object.freeze(security), insecure };
}

function parseProtocol(env: Environment, problems: SettingProblems): KafkaSecurityProtocol | undefined {
  const value = setting(env, 'KAFKA_SECURITY_PROTOCOL') ?? 'PLAINTEXT';
  const protocol = PROTOCOLS.find((candidate) => candidate === value.toUpperCase());
  if (protocol === undefined) problems.add(`KAFKA_SECURITY_PROTOCOL: "${value}" is not one of ${PROTOCOLS.join(', ')}`);
  return protocol;
}

function parseSasl(env: Environment, protocol: KafkaSecurityProtocol, problems: SettingProblems): SaslSettings | undefined {
  const mechanismText = setting(env, 'KAFKA_SASL_MECHANISM');
  const username = setting(env, 'KAFKA_SASL_USERNAME');
  const password = secret(env, 'KAFKA_SASL_PASSWORD');
  const mechanism = MECHANISMS.find((candidate) => candidate === mechanismText?.toUpperCase());
  if (mechanismText === undefined) {
    problems.add(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_MECHANISM (${MECHANISMS.join(', ')})`);
  } else if (mechanism === undefined) {
    problems.add(`KAFKA_SASL_MECHANISM: "${mechanismText}" is not supported (expected ${MECHANISMS.join(', ')})`);
  }
  if (username === undefined && password === undefined) {
    problems.add(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  } else if (password === undefined) {
    problems.add('KAFKA_SASL_USERNAME is set without KAFKA_SASL_PASSWORD');
  } else if (username === undefined) {
    problems.add('KAFKA_SASL_PASSWORD is set without KAFKA_SASL_USERNAME');
  }
  return mechanism === undefined || username === undefined || password === undefined ? undefined : { mechanism, username, password };
}

function parseTls(env: Environment, problems: SettingProblems): KafkaTlsSettings {
  const caFile = setting(env, 'KAFKA_SSL_CA_LOCATION');
  const ca = caFile === undefined ? undefined : readCertificates('KAFKA_SSL_CA_LOCATION', caFile, problems);
  const verifyCertificate = parseChoice(env, 'KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION', { true: true, false: false }, true, problems);
  const verifyHostname = parseChoice(env, 'KAFKA_SSL_ENDPOINT_IDENTIFICATION', { https: true, none: false }, true, problems);
  const clientCertificate = parseClientCertificate(env, problems);
  return {
    ...(ca === undefined || caFile === undefined ? {} : { ca, caFile }),
    ...(clientCertificate === undefined ? {} : { clientCertificate: Object.freeze(clientCertificate) }),
    verifyCertificate,
    verifyHostname,
  };
}

/** Mutual TLS: a certificate and its key come together; the key may be encrypted. */
function parseClientCertificate(env: Environment, problems: SettingProblems): KafkaTlsSettings['clientCertificate'] {
  const certFile = setting(env, 'KAFKA_SSL_CERTIFICATE_LOCATION');
  const keyFile = setting(env, 'KAFKA_SSL_KEY_LOCATION');
  const keyPassword = secret(env, 'KAFKA_SSL_KEY_PASSWORD');
  if (certFile === undefined && keyFile === undefined) {
    if (keyPassword !== undefined) problems.add('KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_LOCATION');
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    const [given, missing] = certFile === undefined ? ['KAFKA_SSL_KEY_LOCATION', 'KAFKA_SSL_CERTIFICATE_LOCATION'] : ['KAFKA_SSL_CERTIFICATE_LOCATION', 'KAFKA_SSL_KEY_LOCATION'];
    problems.add(`${given} is set without ${missing} (mutual TLS needs both the certificate and its key)`);
    return undefined;
  }
  const cert = readCertificates('KAFKA_SSL_CERTIFICATE_LOCATION', certFile, problems);
  const key = readPrivateKey('KAFKA_SSL_KEY_LOCATION', keyFile, { variable: 'KAFKA_SSL_KEY_PASSWORD', value: keyPassword }, problems);
  if (cert === undefined || key === undefined) return undefined;
  return { cert, key, certFile, ...(keyPassword === undefined ? {} : { keyPassword }) };
}

/** One of a few exact words (case-insensitive), or the default when unset. */
function parseChoice<T>(env: Environment, name: string, choices: Readonly<Record<string, T>>, fallback: T, problems: SettingProblems): T {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  const key = Object.keys(choices).find((candidate) => candidate === value.toLowerCase());
  if (key === undefined) {
    problems.add(`${name}: "${value}" is not one of ${Object.keys(choices).join(', ')}`);
    return fallback;
  }
  return choices[key] ?? fallback;
}
