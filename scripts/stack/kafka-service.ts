import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionFromEnv } from '../../src/config/connection.js';
import { isKafkaAnswering, waitForKafkaReady } from '../../src/kafka/probe.js';
import { ensureKafkaJars } from './fetch.js';
import { findJava } from './java.js';
import { STACK_DIR, stateDirs } from './paths.js';
import { processMarker } from './processes.js';
import { lastLines, runCommand } from './run-command.js';
import type { LocalService } from './service.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_MIN_JAVA, KAFKA_PORT } from './versions.js';

const HOST = '127.0.0.1';

/** Where one broker lives: its name, ports and the folder of its data, logs and pid file. */
export interface KafkaPlacement {
  readonly name: string;
  readonly stackDir: string;
  readonly port: number;
  readonly controllerPort: number;
}

/** Single node, broker and controller in one process; replication factors of 1 so it works alone. */
export function brokerProperties(dataDir: string, placement: Pick<KafkaPlacement, 'port' | 'controllerPort'> = { port: KAFKA_PORT, controllerPort: KAFKA_CONTROLLER_PORT }): string {
  const { port, controllerPort } = placement;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Kafka's own Uuid prints them. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A broker at `placement`; the default one is the project's stack on 9092. */
export function kafkaServiceAt(placement: KafkaPlacement): LocalService {
  const dirs = stateDirs(placement.stackDir);
  const connection = connectionFromEnv({ KAFKA_BROKERS: `${HOST}:${placement.port}` });
  return {
    name: placement.name,
    address: `${HOST}:${placement.port}`,
    logFile: join(dirs.logs, `${placement.name}.log`),
    pidFile: join(dirs.run, `${placement.name}.pid`),
    marker: processMarker(placement.stackDir, placement.name),

    answering: () => isKafkaAnswering(connection, 1500),

    async prepare(log) {
      const [jars, java] = await Promise.all([ensureKafkaJars(log), findJava(KAFKA_MIN_JAVA)]);
      const dataDir = join(dirs.data, placement.name);
      const propertiesFile = join(dirs.run, `${placement.name}.properties`);
      mkdirSync(dirs.run, { recursive: true });
      writeFileSync(propertiesFile, brokerProperties(dataDir, placement));
      const classpath = ['-cp', `${jars}/*`];
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        const format = await runCommand(java, [...classpath, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propertiesFile]);
        if (format.code !== 0) throw new Error(`formatting KRaft storage in ${dataDir} failed:\n${lastLines(format.output, 20)}`);
        log(`formatted KRaft storage in ${dataDir}`);
      }
      return {
        command: java,
        args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', this.marker, ...classpath, 'kafka.Kafka', propertiesFile],
        cwd: dirs.run,
      };
    },

    waitReady: (timeoutMs, beforeAttempt) => waitForKafkaReady(connection, { timeoutMs, beforeAttempt }),
  };
}

export const kafkaService = kafkaServiceAt({ name: 'kafka', stackDir: STACK_DIR, port: KAFKA_PORT, controllerPort: KAFKA_CONTROLLER_PORT });
