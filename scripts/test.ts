/**
 * `npm test`: type check, lint, then unit and integration tests in one run of Node's test runner.
 * When nothing answers at KAFKA_BROKERS / SCHEMA_REGISTRY_URL and they are the local defaults,
 * it starts the local stack for the run and stops what it started afterwards.
 *
 *   tsx scripts/test.ts              everything
 *   tsx scripts/test.ts --unit       unit tests only (no broker needed)
 *   tsx scripts/test.ts --integration
 *   tsx scripts/test.ts --reliability   the fault and poison suite, every fault under both guarantees
 *   extra arguments after `--` go to `node --test` (e.g. -- --test-name-pattern=avro)
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stackDown, stackUp } from './stack/lifecycle.js';
import { PROJECT_ROOT } from './stack/paths.js';
import { servicesToStart } from './stack/services-to-start.js';
import type { LocalService } from './stack/service.js';

const say = (line: string): void => {
  process.stderr.write(`npm test: ${line}\n`);
};

function testFiles(folder: string): string[] {
  const entries = readdirSync(join(PROJECT_ROOT, folder), { recursive: true, encoding: 'utf8' });
  return entries
    .filter((entry) => entry.endsWith('.test.ts') && !entry.includes('fixtures/'))
    .map((entry) => join(folder, entry))
    .sort();
}

/**
 * The delivery-semantics, kill -9, zombie-fencing and broker-fault tests, run a second time on
 * the kafkajs adapter (KASCADE_KAFKA_CLIENT=kafkajs): `npm test` their CI subset, `--reliability`
 * every fault, under both guarantees. exactly-once-fencing.test.ts drives the kafkajs writer directly.
 */
const KAFKAJS_FILES = [
  'integration-tests/stage-runner.test.ts',
  'integration-tests/reliability/crash-restart.test.ts',
  'integration-tests/reliability/stage-faults.test.ts',
  'integration-tests/reliability/service-faults.test.ts',
];

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: 'inherit', env });
    child.on('error', (error) => {
      say(`cannot run ${command}: ${error.message}`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const bin = (name: string): string => join(PROJECT_ROOT, 'node_modules', '.bin', name);

async function main(args: readonly string[]): Promise<number> {
  const separator = args.indexOf('--');
  const own = separator === -1 ? args : args.slice(0, separator);
  const passThrough = separator === -1 ? [] : args.slice(separator + 1);
  const unitOnly = own.includes('--unit');
  const integrationOnly = own.includes('--integration');
  const reliability = own.includes('--reliability');
  const everything = !unitOnly && !integrationOnly && !reliability;

  if (everything) {
    say('type check');
    if ((await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])) !== 0) return 1;
    say('lint (eslint, dependency-cruiser: import cycles and layering)');
    if ((await run('npm', ['run', '--silent', 'lint'])) !== 0) return 1;
  }

  const files = reliability
    ? [...testFiles('integration-tests/reliability'), 'integration-tests/poison-matrix.test.ts']
    : [...(integrationOnly ? [] : testFiles('test')), ...(unitOnly ? [] : testFiles('integration-tests'))];
  // The full suite runs each fault under both delivery guarantees; `npm test` runs its CI subset.
  if (reliability) process.env['KASCADE_RELIABILITY'] = 'full';
  let started: LocalService[] = [];
  if (!unitOnly) {
    const missing = await servicesToStart();
    if (missing.length > 0) {
      say(`nothing answers at ${missing.map((service) => service.address).join(' and ')}: starting the local stack for this run (keep it between runs with \`npm run stack:up\`)`);
      started = await stackUp(say, missing);
    }
  }
  const stopStarted = async (): Promise<void> => {
    if (started.length === 0) return;
    say('stopping the local stack it started');
    await stackDown(say, started);
    started = [];
  };
  const onSignal = (): void => {
    void stopStarted().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say(`${files.length} test files: ${files.map((file) => relative('.', file)).join(' ')}`);
    const nodeTest = ['--import', 'tsx', '--test', '--test-reporter=spec', ...passThrough];
    const code = await run(process.execPath, [...nodeTest, ...files]);
    if (code !== 0 || unitOnly || process.env['KASCADE_KAFKA_CLIENT'] !== undefined) return code;
    say(`the same delivery and fault tests on the kafkajs adapter (KASCADE_KAFKA_CLIENT=kafkajs): ${KAFKAJS_FILES.join(' ')}`);
    return await run(process.execPath, [...nodeTest, ...KAFKAJS_FILES], { ...process.env, KASCADE_KAFKA_CLIENT: 'kafkajs' });
  } finally {
    await stopStarted();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
