import { ErrorCode, KascadeError } from '../errors.js';
import { SECRET_NAME } from '../telemetry/redaction.js';

/**
 * Which environment variables a topology may read. Topologies are data, often written by other
 * people than the operator who runs them: without a limit, `${KAFKA_SASL_PASSWORD}` in a topic
 * name or an option would carry a secret into Kafka. So a topology reads only names under an
 * allowed prefix (`KASCADE_`, plus the operator's KASCADE_ENV_PREFIXES), never a name that looks
 * like a secret's, and never one of kascade's own settings.
 */

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_ENV_PREFIX = 'KASCADE_';
export const ENV_PREFIXES_VARIABLE = 'KASCADE_ENV_PREFIXES';

/**
 * kascade's own settings share the `KASCADE_` prefix with topology variables but configure the
 * process, not the pipeline: what a topology means must not change when an operator changes the
 * log level, a port, the models root (which already overrides `modelsRoot`) or a security
 * control (the allow-list itself, the insecure-connection flag). Every other KASCADE_ name is
 * free for topologies. A new setting of kascade belongs here.
 */
const KASCADE_SETTINGS: ReadonlySet<string> = new Set([
  ENV_PREFIXES_VARIABLE,
  'KASCADE_ALLOW_INSECURE',
  'KASCADE_MODELS_ROOT',
  'KASCADE_LOG_LEVEL',
  'KASCADE_METRICS_PORT',
  'KASCADE_STACK_DIR',
]);

const PREFIX = /^[A-Z_][A-Z0-9_]*$/;
const EXAMPLE = `${ENV_PREFIXES_VARIABLE}=PIPELINE_,TEAM_A_`;

export interface EnvAllowList {
  /** `KASCADE_` first, then the operator's prefixes in the order given. */
  readonly prefixes: readonly string[];
  /** Why `name` may not be read by a topology, or undefined when it may. */
  refusal(name: string): string | undefined;
}

/**
 * The allow-list from KASCADE_ENV_PREFIXES (comma-separated prefixes added to `KASCADE_`; unset
 * or empty: `KASCADE_` only). A malformed list is refused rather than half-applied.
 */
export function envAllowList(env: Env): EnvAllowList {
  const prefixes = [DEFAULT_ENV_PREFIX];
  const raw = env[ENV_PREFIXES_VARIABLE]?.trim() ?? '';
  if (raw !== '') {
    raw.split(',').forEach((entry, index) => {
      const prefix = entry.trim();
      if (!PREFIX.test(prefix)) {
        const what = prefix === '' ? 'is empty' : `"${prefix}" is not a variable name prefix (capital letters, digits and _, not starting with a digit)`;
        throw new KascadeError(ErrorCode.ConfigInvalid, `${ENV_PREFIXES_VARIABLE}: entry ${String(index + 1)} ${what}; expected e.g. ${EXAMPLE}`);
      }
      if (!prefixes.includes(prefix)) prefixes.push(prefix);
    });
  }
  return { prefixes, refusal: (name) => refusal(name, prefixes) };
}

function refusal(name: string, prefixes: readonly string[]): string | undefined {
  const refused = `environment variable ${name} is not allowed in a topology`;
  // Secrets first: no prefix makes them readable, so advice to allow a prefix would mislead.
  if (SECRET_NAME.test(name)) {
    return `${refused}: its name looks like a secret's (PASSWORD, SECRET, TOKEN, CREDENTIAL, API_KEY, PRIVATE_KEY, *_HEADERS) and topologies never read secrets; rename the variable if it holds none`;
  }
  if (KASCADE_SETTINGS.has(name)) return `${refused}: it is a setting of kascade itself, not a topology variable; use another ${DEFAULT_ENV_PREFIX} name`;
  if (prefixes.some((prefix) => name.startsWith(prefix))) return undefined;
  const allowed = prefixes.length === 1 ? `starting with ${DEFAULT_ENV_PREFIX}` : `starting with one of ${prefixes.join(', ')}`;
  return `${refused}: only names ${allowed} are; rename it (e.g. ${DEFAULT_ENV_PREFIX}${name}) or allow its prefix with ${ENV_PREFIXES_VARIABLE} (comma-separated, e.g. ${EXAMPLE})`;
}
