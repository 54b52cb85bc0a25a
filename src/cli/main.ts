#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectionFromEnv } from '../config/connection.js';
import { ErrorCode, isKascadeError } from '../errors.js';
import { formatDoctor, runDoctor } from './doctor.js';

const USAGE = `Usage: kascade <command> [options]

Commands:
  doctor        check that Kafka (KAFKA_BROKERS) and the schema registry (SCHEMA_REGISTRY_URL) answer

Options:
  -h, --help    show this help
  -v, --version show the version

Environment:
  KAFKA_BROKERS        bootstrap brokers, comma-separated host:port (default 127.0.0.1:9092)
  SCHEMA_REGISTRY_URL  Confluent-compatible registry API (default http://127.0.0.1:8081/apis/ccompat/v7)
`;

/** Exit codes: 0 ok, 1 a check or command failed, 2 bad usage or configuration. */
async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.version === true) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  switch (command) {
    case 'doctor': {
      if (rest.length > 0) return usageError(`doctor takes no arguments, got: ${rest.join(' ')}`);
      const checks = await runDoctor(connectionFromEnv());
      process.stdout.write(`${formatDoctor(checks)}\n`);
      return checks.every((check) => check.ok) ? 0 : 1;
    }
    default:
      return usageError(`unknown command "${command}"`);
  }
}

function usageError(message: string): number {
  process.stderr.write(`kascade: ${message}\n\n${USAGE}`);
  return 2;
}

function packageVersion(): string {
  // Resolved from this file so it works from src/ (tsx) and from dist/ (installed bin) alike.
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof manifest === 'object' && manifest !== null && 'version' in manifest ? String(manifest.version) : 'unknown';
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isKascadeError(error)) {
      process.stderr.write(`kascade: ${error.message}\n`);
      process.exitCode = error.code === ErrorCode.ConfigInvalid ? 2 : 1;
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.exitCode = usageError(error.message);
    } else {
      process.stderr.write(`kascade: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
