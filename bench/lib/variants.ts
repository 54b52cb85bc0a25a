import type { RunContext, ThroughputScenario } from './scenarios.js';

/**
 * `--variant 'small:KASCADE_CHUNK=128,KASCADE_MAX_WAIT_MS=0'`: a copy of a scenario whose stage
 * processes get extra environment (the bench topology's tuning variables, or any setting read
 * from the environment). It runs interleaved with the others, so a tuning is compared with the
 * default on the same machine minutes, not across runs.
 */
export function scenarioVariant(spec: string, scenarios: readonly ThroughputScenario[]): ThroughputScenario {
  const colon = spec.indexOf(':');
  const baseName = spec.slice(0, colon);
  const base = scenarios.find((scenario) => scenario.name === baseName);
  if (colon < 1 || base === undefined) throw new Error(`--variant ${spec}: expected SCENARIO:NAME=VALUE[,NAME=VALUE], SCENARIO one of ${scenarios.map((s) => s.name).join(', ')}`);
  const env = Object.fromEntries(
    spec
      .slice(colon + 1)
      .split(',')
      .map((pair) => {
        const equals = pair.indexOf('=');
        if (equals < 1) throw new Error(`--variant ${spec}: "${pair}" is not NAME=VALUE`);
        return [pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()] as const;
      }),
  );
  return {
    ...base,
    name: `${base.name}[${spec.slice(colon + 1)}]`,
    description: `${base.description}, with ${spec.slice(colon + 1)}`,
    start: (context: RunContext) => withEnvironment(env, () => base.start(context)),
  };
}

/** Stage processes inherit the bench's environment when they are spawned, inside `start`. */
async function withEnvironment<T>(env: Readonly<Record<string, string>>, start: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await start();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  }
}
