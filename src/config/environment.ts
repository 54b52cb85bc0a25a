/** The process environment, or a stand-in for it in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed; undefined when unset or blank (an empty variable counts as unset). */
export function setting(env: Environment, name: string): string | undefined {
  const trimmed = env[name]?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Problems found while reading the settings. All of them are reported at once, so a user fixes
 * a deployment in one round; every message names its variable and never holds a secret.
 */
export class SettingProblems {
  readonly #messages: string[] = [];

  add(message: string): void {
    this.#messages.push(message);
  }

  get messages(): readonly string[] {
    return this.#messages;
  }
}
