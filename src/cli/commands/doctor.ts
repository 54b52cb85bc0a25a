import type { ConnectionSettings } from '../../config/connection.js';
import { describeKafkaConnection, describeRegistryConnection } from '../../config/describe-connection.js';
import { kafkaProblem } from '../../kafka/admin/probe.js';
import { probeSchemaRegistry } from '../../serde/registry-probe.js';
import { print, UsageError, type Command } from '../command.js';
import { commandConnection } from '../connection-settings.js';

export interface DoctorCheck {
  readonly name: string;
  readonly target: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Checks that the services a stage needs answer at the configured addresses. */
export async function runDoctor(connection: ConnectionSettings): Promise<DoctorCheck[]> {
  const [kafkaError, registryError] = await Promise.all([
    kafkaProblem(connection),
    probeSchemaRegistry(connection).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    ),
  ]);
  return [
    {
      name: 'kafka',
      target: describeKafkaConnection(connection),
      ok: kafkaError === undefined,
      // Nothing listening is the common case on a developer machine: say how to start the stack.
      detail: kafkaError === undefined ? 'answers' : kafkaError.startsWith('no broker answered') ? `no broker answered (start one with \`npm run stack:up\`, or set KAFKA_BROKERS)` : kafkaError,
    },
    {
      name: 'schema-registry',
      target: describeRegistryConnection(connection),
      ok: registryError === undefined,
      detail: registryError ?? 'answers',
    },
  ];
}

export function formatDoctor(checks: readonly DoctorCheck[]): string {
  return checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(16)} ${check.target}: ${check.detail}`).join('\n');
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check that Kafka (KAFKA_BROKERS) and the schema registry (SCHEMA_REGISTRY_URL) answer',
  usage: 'kascade doctor',
  async run(args) {
    if (args.length > 0) throw new UsageError(`doctor takes no arguments, got: ${args.join(' ')}`);
    const checks = await runDoctor(commandConnection());
    print(formatDoctor(checks));
    return checks.every((check) => check.ok) ? 0 : 1;
  },
};
