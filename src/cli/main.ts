#!/usr/bin/env -S node --max-semi-space-size=64
// A 64 MiB young generation (V8: 16): a stage allocates per record, and a small one promotes
// short-lived records to the old generation, whose collections stall the event loop.
import { readFileSync } from 'node:fs';
import { ErrorCode, isKascadeError } from '../errors.js';
import { print, printError, UsageError, type Command } from './command.js';
import { compareCommand } from './commands/compare.js';
import { ctrCommand } from './commands/ctr.js';
import { describeCommand } from './commands/describe.js';
import { dlqCommand } from './commands/dlq.js';
import { doctorCommand } from './commands/doctor.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';
import { topicsCommand } from './commands/topics.js';
import { validateCommand } from './commands/validate.js';

const COMMANDS: readonly Command[] = [validateCommand, describeCommand, topicsCommand, runCommand, replayCommand, dlqCommand, simulateCommand, ctrCommand, compareCommand, doctorCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `Usage: kascade <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Options:
  -h, --help      show help (also: kascade <command> --help)
  -v, --version   show the version

Environment (security: docs/operating.md, section 9):
  KAFKA_BROKERS                bootstrap brokers, comma-separated host:port (default 127.0.0.1:9092)
  SCHEMA_REGISTRY_URL          Confluent-compatible registry API (default http://127.0.0.1:8081/apis/ccompat/v7)
  KAFKA_SECURITY_PROTOCOL      PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL
  KAFKA_SASL_MECHANISM         PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD
  KAFKA_SSL_CA_LOCATION        PEM file of the brokers' CA (default: Node's built-in CAs)
  KAFKA_SSL_CERTIFICATE_LOCATION, KAFKA_SSL_KEY_LOCATION, KAFKA_SSL_KEY_PASSWORD
                               mutual TLS: the client certificate and its key (PEM)
  KAFKA_SSL_ENDPOINT_IDENTIFICATION=none, KAFKA_ENABLE_SSL_CERTIFICATE_VERIFICATION=false
                               certificate checks off (insecure)
  SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD
                               registry basic auth (or user:password@ in SCHEMA_REGISTRY_URL)
  SCHEMA_REGISTRY_CA_LOCATION  PEM file of an https registry's CA
  KASCADE_ALLOW_INSECURE=true  accept insecure settings (SASL PLAIN without TLS, checks off, registry
                               credentials over http), each warned about at start; refused without it
`;
}

/** Exit codes: 0 ok, 1 a check or command failed, 2 bad usage or configuration. */
async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    print(packageVersion());
    return 0;
  }
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    print(usage());
    return first === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (command === undefined) return usageError(first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    print(`Usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  return command.run(rest);
}

function usageError(message: string): number {
  printError(`${message}\n\n${usage()}`);
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
    // Idle keep-alive sockets (registry HTTP, Kafka) must not hold a finished command open; unref'd, so a clean exit is not delayed.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.exitCode = usageError(error.message);
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.exitCode = usageError(error.message);
    } else if (isKascadeError(error)) {
      printError(error.message);
      process.exitCode = error.code === ErrorCode.ConfigInvalid ? 2 : 1;
    } else {
      printError(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 1;
    }
  },
);
