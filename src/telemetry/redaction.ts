/** Rewrites text that may hold a secret before it is logged. */
export type Redactor = (text: string) => string;

const MASK = '***';

/** Variable names whose values are secrets (KAFKA_SASL_PASSWORD, OTEL_EXPORTER_OTLP_HEADERS, ...). */
export const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|API_?KEY|PRIVATE_KEY|_HEADERS$/i;

/** Field names whose values are never logged. */
export const SECRET_FIELD = /pass(word|wd)?$|secret|token|credential|authorization|api_?key/i;

/** `scheme://user:password@host`: the user info of any URL in the text. */
const URL_USER_INFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(:[^\s/@]*)?@/gi;

/**
 * The values of the environment's secret variables, and the passwords inside its URLs
 * (SCHEMA_REGISTRY_URL=https://user:password@...). Short values are left out: masking "1"
 * everywhere would hide more than it protects.
 */
export function secretsInEnvironment(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (SECRET_NAME.test(name)) {
      secrets.add(value);
      // `key=value,key2=Bearer token` lists: each value, and a scheme's token on its own.
      if (name.endsWith('_HEADERS')) {
        for (const pair of value.split(',')) {
          const headerValue = pair.slice(pair.indexOf('=') + 1).trim();
          secrets.add(headerValue);
          secrets.add(headerValue.split(/\s+/).pop() ?? '');
        }
      }
    }
    for (const match of value.matchAll(URL_USER_INFO)) {
      const password = match[2]?.slice(1);
      if (password !== undefined && password.length >= 4) {
        secrets.add(password);
        secrets.add(decodeURIComponent(password));
      }
    }
  }
  return [...secrets].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
}

/** Masks URL user info and every one of `secrets` wherever it appears. */
export function redactor(secrets: readonly string[]): Redactor {
  return (text) => {
    let result = text;
    // Known secrets first: a password with an unescaped '@' would otherwise survive the URL rule.
    for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join(MASK);
    return result.replace(URL_USER_INFO, `$1${MASK}@`);
  };
}
