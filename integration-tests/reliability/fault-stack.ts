import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { connectionFromEnv, type ConnectionSettings } from '../../src/config/connection.js';
import { createKafka } from '../../src/kafka/kafkajs/client.js';
import { kafkaServiceAt } from '../../scripts/stack/kafka-service.js';
import { stackDown, stackUp } from '../../scripts/stack/lifecycle.js';
import { readPid } from '../../scripts/stack/processes.js';
import { registryServiceAt } from '../../scripts/stack/registry-service.js';
import type { LocalService } from '../../scripts/stack/service.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * A broker and a registry of the fault tests' own, beside the project's stack: the tests stop,
 * restart and pause them without disturbing anything else. Same jars and settings as the stack.
 */
export class FaultStack {
  readonly connection: ConnectionSettings;
  /** For stage processes: where they find this broker and registry. */
  readonly env: Readonly<Record<string, string>>;

  private constructor(
    private readonly dir: string,
    private readonly broker: LocalService,
    private readonly registry: LocalService,
    private readonly log: (line: string) => void,
  ) {
    this.env = { KAFKA_BROKERS: broker.address, SCHEMA_REGISTRY_URL: registry.address };
    this.connection = connectionFromEnv(this.env);
  }

  static async start(log: (line: string) => void): Promise<FaultStack> {
    const dir = mkdtempSync(join(tmpdir(), 'kascade-faults-'));
    const [port, controllerPort, registryPort, managementPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const broker = kafkaServiceAt({ name: 'fault-kafka', stackDir: dir, port, controllerPort });
    const registry = registryServiceAt({ name: 'fault-registry', stackDir: dir, port: registryPort, managementPort });
    const stack = new FaultStack(dir, broker, registry, log);
    await stackUp(log, [broker, registry]);
    return stack;
  }

  kafka(clientId: string): Kafka {
    return createKafka(this.connection, { clientId, logLevel: 'nothing', connectionTimeoutMs: 5000 });
  }

  /** Stops the broker (a clean shutdown, as an operator's restart) and starts it again on the same data. */
  async restartBroker(): Promise<void> {
    await stackDown(this.log, [this.broker]);
    await stackUp(this.log, [this.broker]);
  }

  /** SIGSTOP: the broker freezes with its sockets open (a long GC pause, a frozen VM). */
  pauseBroker(): void {
    process.kill(this.pid(this.broker), 'SIGSTOP');
  }

  resumeBroker(): void {
    process.kill(this.pid(this.broker), 'SIGCONT');
  }

  /** The registry goes away: connections are refused until `startRegistry()`. Its schemas persist. */
  async stopRegistry(): Promise<void> {
    await stackDown(this.log, [this.registry]);
  }

  async startRegistry(): Promise<void> {
    await stackUp(this.log, [this.registry]);
  }

  async stop(): Promise<void> {
    try {
      this.resumeBroker();
    } catch {
      // not paused, or already gone
    }
    await stackDown(this.log, [this.broker, this.registry]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private pid(service: LocalService): number {
    const pid = readPid(service.pidFile);
    if (pid === undefined) throw new Error(`${service.name} is not running`);
    return pid;
  }
}
