import { setting, type Environment, type SettingProblems } from './environment.js';
import { readCertificates } from './pem-file.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistrySettings {
  /** Base URL of the Confluent-compatible API, without credentials. */
  readonly url: string;
  readonly auth?: RegistryCredentials;
  /** PEM of the CAs to trust for an https registry, instead of Node's built-in list. */
  readonly ca?: string;
  readonly caFile?: string;
}

export interface RegistrySettingsReading {
  readonly settings: RegistrySettings;
  /** What in these settings weakens security; refused unless KASCADE_ALLOW_INSECURE=true. */
  readonly insecure: readonly string[];
}

/** SCHEMA_REGISTRY_URL, its credentials (in the URL or in their own variables) and its CA. */
export function registryFromEnv(env: Environment, defaultUrl: string, problems: SettingProblems): RegistrySettingsReading {
  const parsed = parseRegistryUrl(setting(env, 'SCHEMA_REGISTRY_URL') ?? defaultUrl, problems);
  if (parsed === undefined) return { settings: { url: defaultUrl }, insecure: [] };
  const auth = credentials(env, parsed.auth, problems);
  const caFile = setting(env, 'SCHEMA_REGISTRY_CA_LOCATION');
  const https = parsed.url.startsWith('https:');
  let ca: string | undefined;
  if (caFile !== undefined && !https) {
    problems.add('SCHEMA_REGISTRY_CA_LOCATION is set, but SCHEMA_REGISTRY_URL is http:// (the CA is for an https registry)');
  } else if (caFile !== undefined) {
    ca = readCertificates('SCHEMA_REGISTRY_CA_LOCATION', caFile, problems);
  }
  const insecure =
    auth !== undefined && !https ? [`schema registry credentials (${auth.source}) would be sent unencrypted: SCHEMA_REGISTRY_URL is http://, not https://`] : [];
  const settings: RegistrySettings = {
    url: parsed.url,
    ...(auth === undefined ? {} : { auth: Object.freeze({ username: auth.username, password: auth.password }) }),
    ...(ca === undefined || caFile === undefined ? {} : { ca, caFile }),
  };
  return { settings, insecure };
}

/** From SCHEMA_REGISTRY_USERNAME / _PASSWORD or from the URL's user info, never both. */
function credentials(env: Environment, fromUrl: RegistryCredentials | undefined, problems: SettingProblems): (RegistryCredentials & { source: string }) | undefined {
  const username = setting(env, 'SCHEMA_REGISTRY_USERNAME');
  const passwordValue = env['SCHEMA_REGISTRY_PASSWORD'];
  const password = passwordValue === '' ? undefined : passwordValue;
  if (username === undefined && password === undefined) return fromUrl === undefined ? undefined : { ...fromUrl, source: 'the user info of SCHEMA_REGISTRY_URL' };
  if (fromUrl !== undefined) {
    problems.add('SCHEMA_REGISTRY_URL holds credentials and SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD are set too: give the credentials one way');
    return undefined;
  }
  if (password === undefined) {
    problems.add('SCHEMA_REGISTRY_USERNAME is set without SCHEMA_REGISTRY_PASSWORD');
    return undefined;
  }
  if (username === undefined) {
    problems.add('SCHEMA_REGISTRY_PASSWORD is set without SCHEMA_REGISTRY_USERNAME');
    return undefined;
  }
  return { username, password, source: 'SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD' };
}

function parseRegistryUrl(raw: string, problems: SettingProblems): { url: string; auth?: RegistryCredentials } | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw value may hold credentials: never echo it.
    problems.add('SCHEMA_REGISTRY_URL: not a valid URL (expected e.g. http://127.0.0.1:8081)');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // Only the scheme: in a URL that is not http(s), credentials may sit where redaction cannot find them.
    problems.add(`SCHEMA_REGISTRY_URL: protocol must be http or https, got ${url.protocol}`);
    return undefined;
  }
  const auth = url.username === '' ? undefined : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/$/, '');
  return auth === undefined ? { url: base } : { url: base, auth };
}
