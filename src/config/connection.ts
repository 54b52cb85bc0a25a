import { ErrorCode, KascadeError } from '../errors.js';
import { allowInsecureFromEnv, insecureWarning, refusal } from './allow-insecure.js';
import { setting, SettingProblems, type Environment } from './environment.js';
import { kafkaSecurityFromEnv, type KafkaSecurity } from './kafka-security.js';
import { registryFromEnv, type RegistryCredentials } from './registry-settings.js';

/** Where kascade finds Kafka and the schema registry, and how it authenticates. Read once at start, then frozen. */
export interface ConnectionSettings {
  /** Bootstrap brokers as `host:port`. */
  readonly brokers: readonly string[];
  /**
   * The Kafka client stages run on (KASCADE_KAFKA_CLIENT): @platformatic/kafka when unset.
   * Admin steps and operator tools use @platformatic/kafka either way (docs/kafka-clients.md).
   */
  readonly client?: KafkaClientName;
  /** TLS and SASL towards the brokers; absent means PLAINTEXT. */
  readonly kafkaSecurity?: KafkaSecurity;
  /** Base URL of a Confluent-compatible schema registry API, without credentials. */
  readonly schemaRegistryUrl: string;
  /** Basic-auth credentials: SCHEMA_REGISTRY_USERNAME / _PASSWORD, or the user info of SCHEMA_REGISTRY_URL. */
  readonly schemaRegistryAuth?: RegistryCredentials;
  /** PEM of the CAs to trust for an https registry (SCHEMA_REGISTRY_CA_LOCATION), instead of Node's built-in list. */
  readonly schemaRegistryCa?: string;
  readonly schemaRegistryCaFile?: string;
  /**
   * Warnings to log once at start: the insecure choices KASCADE_ALLOW_INSECURE=true accepted.
   * Never holds a secret.
   */
  readonly warnings?: readonly string[];
}

export const KAFKA_CLIENTS = ['platformatic', 'kafkajs'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
/** The local stack's registry (Apicurio) serves the Confluent API under this path. */
export const DEFAULT_SCHEMA_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7';

/**
 * Reads, checks and freezes the connection settings. Every problem (bad values, settings that
 * do not go together, unreadable files, insecure choices without KASCADE_ALLOW_INSECURE=true)
 * is reported in one ConfigInvalid error naming the variables and never their secrets.
 */
export function connectionFromEnv(env: Environment = process.env): ConnectionSettings {
  const problems = new SettingProblems();
  const brokers = parseBrokers(setting(env, 'KAFKA_BROKERS') ?? DEFAULT_KAFKA_BROKERS, problems);
  const chosen = setting(env, 'KASCADE_KAFKA_CLIENT');
  const client = chosen === undefined ? undefined : parseClient(chosen, problems);
  const kafka = kafkaSecurityFromEnv(env, problems);
  const registry = registryFromEnv(env, DEFAULT_SCHEMA_REGISTRY_URL, problems);
  const allowInsecure = allowInsecureFromEnv(env, problems);
  const insecure = [...kafka.insecure, ...registry.insecure];
  if (!allowInsecure) for (const choice of insecure) problems.add(refusal(choice));
  const { messages } = problems;
  if (messages.length > 0) {
    throw new KascadeError(ErrorCode.ConfigInvalid, messages.length === 1 ? (messages[0] ?? '') : `connection settings:\n  ${messages.join('\n  ')}`);
  }
  const { url, auth, ca, caFile } = registry.settings;
  return Object.freeze({
    brokers: Object.freeze(brokers),
    ...(client === undefined ? {} : { client }),
    kafkaSecurity: kafka.security,
    schemaRegistryUrl: url,
    ...(auth === undefined ? {} : { schemaRegistryAuth: auth }),
    ...(ca === undefined || caFile === undefined ? {} : { schemaRegistryCa: ca, schemaRegistryCaFile: caFile }),
    warnings: Object.freeze(insecure.map(insecureWarning)),
  });
}

function parseClient(name: string, problems: SettingProblems): KafkaClientName {
  const known = KAFKA_CLIENTS.find((client) => client === name);
  if (known === undefined) problems.add(`KASCADE_KAFKA_CLIENT: "${name}" is not a Kafka client kascade runs on (expected ${KAFKA_CLIENTS.join(' or ')})`);
  return known ?? 'platformatic';
}

function parseBrokers(list: string, problems: SettingProblems): string[] {
  const entries = list.split(',').map((entry) => entry.trim());
  return entries.filter((entry, index) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = match === null ? NaN : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      problems.add(`KAFKA_BROKERS: entry ${index + 1} "${entry}" is not host:port (expected e.g. 127.0.0.1:9092,broker2:9092)`);
      return false;
    }
    return true;
  });
}
