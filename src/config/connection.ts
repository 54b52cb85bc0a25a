import { ErrorCode, KascadeError } from '../errors.js';

/** Where kascade finds Kafka and the schema registry. Read once at start, then frozen. */
export interface ConnectionSettings {
  /** Bootstrap brokers as `host:port`. */
  readonly brokers: readonly string[];
  /** Base URL of a Confluent-compatible schema registry API, without credentials. */
  readonly schemaRegistryUrl: string;
  /** Basic-auth credentials taken out of SCHEMA_REGISTRY_URL, if it had any. */
  readonly schemaRegistryAuth?: { readonly username: string; readonly password: string };
}

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
/** The local stack's registry (Apicurio) serves the Confluent API under this path. */
export const DEFAULT_SCHEMA_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7';

type Environment = Readonly<Record<string, string | undefined>>;

export function connectionFromEnv(env: Environment = process.env): ConnectionSettings {
  const brokers = parseBrokers(nonEmpty(env['KAFKA_BROKERS']) ?? DEFAULT_KAFKA_BROKERS);
  const registry = parseRegistryUrl(nonEmpty(env['SCHEMA_REGISTRY_URL']) ?? DEFAULT_SCHEMA_REGISTRY_URL);
  return Object.freeze({ brokers: Object.freeze(brokers), ...registry });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function parseBrokers(list: string): string[] {
  const entries = list.split(',').map((entry) => entry.trim());
  return entries.map((entry, index) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = match === null ? NaN : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new KascadeError(
        ErrorCode.ConfigInvalid,
        `KAFKA_BROKERS: entry ${index + 1} "${entry}" is not host:port (expected e.g. 127.0.0.1:9092,broker2:9092)`,
      );
    }
    return entry;
  });
}

function parseRegistryUrl(raw: string): Pick<ConnectionSettings, 'schemaRegistryUrl' | 'schemaRegistryAuth'> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw value may hold credentials: never echo it.
    throw new KascadeError(ErrorCode.ConfigInvalid, 'SCHEMA_REGISTRY_URL: not a valid URL (expected e.g. http://127.0.0.1:8081)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // Only the scheme: in a URL that is not http(s), credentials may sit where redaction cannot find them.
    throw new KascadeError(ErrorCode.ConfigInvalid, `SCHEMA_REGISTRY_URL: protocol must be http or https, got ${url.protocol}`);
  }
  const auth =
    url.username === '' ? undefined : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  const schemaRegistryUrl = url.toString().replace(/\/$/, '');
  return auth === undefined ? { schemaRegistryUrl } : { schemaRegistryUrl, schemaRegistryAuth: Object.freeze(auth) };
}
