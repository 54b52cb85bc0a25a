import type { Environment, SettingProblems } from './environment.js';

export const ALLOW_INSECURE_VARIABLE = 'KASCADE_ALLOW_INSECURE';

/**
 * KASCADE_ALLOW_INSECURE: exactly `true` accepts insecure connection settings (with a warning
 * each at start); unset, empty or `false` refuses them. Anything else (`1`, `yes`, `TRUE`) is an
 * error: a flag that lowers security is never guessed from a near miss.
 */
export function allowInsecureFromEnv(env: Environment, problems: SettingProblems): boolean {
  const value = env[ALLOW_INSECURE_VARIABLE];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  problems.add(`${ALLOW_INSECURE_VARIABLE}: "${value}" is neither true nor false (exactly "true" accepts insecure connection settings)`);
  return false;
}

/** The refusal of one insecure choice, saying how to accept it. */
export function refusal(choice: string): string {
  return `${choice}; refused: fix it, or set ${ALLOW_INSECURE_VARIABLE}=true to accept the risk`;
}

/** The start-up warning for one insecure choice accepted with the flag. */
export function insecureWarning(choice: string): string {
  return `insecure connection setting accepted (${ALLOW_INSECURE_VARIABLE}=true): ${choice}`;
}
