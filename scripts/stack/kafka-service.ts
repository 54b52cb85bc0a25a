import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionFromEnv } from '../../src/config/connection.js';
import { isKafkaAnswering, waitForKafkaReady } from '../../src/kafka/probe.js';
import { ensureKafkaJars } from './fetch.js';
import { findJava } from './java.js';
import { STACK_DIR, stackPaths } from './paths.js';
import { processMarker } from './processes.js';
import { lastLines, runCommand } from './run-command.js';
import type { LocalService } from './service.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_MIN_JAVA, KAFKA_PORT } from './versions.js';

const HOST = '127.0.0.1';
const connection = connectionFromEnv({ KAFKA_BROKERS: `${HOST}:${KAFKA_PORT}` });

/** Single node, broker and controller in one process; replication factors of 1 so it works alone. */
export function brokerProperties(dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${KAFKA_CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${KAFKA_CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT}`,
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

export const kafkaService: LocalService = {
  name: 'kafka',
  address: `${HOST}:${KAFKA_PORT}`,
  logFile: join(stackPaths.logs, 'kafka.log'),
  pidFile: join(stackPaths.run, 'kafka.pid'),
  marker: processMarker(STACK_DIR, 'kafka'),

  answering: () => isKafkaAnswering(connection, 1500),

  async prepare(log) {
    const [jars, java] = await Promise.all([ensureKafkaJars(log), findJava(KAFKA_MIN_JAVA)]);
    const dataDir = join(stackPaths.data, 'kafka');
    const propertiesFile = join(stackPaths.run, 'kafka.properties');
    mkdirSync(stackPaths.run, { recursive: true });
    writeFileSync(propertiesFile, brokerProperties(dataDir));
    const classpath = ['-cp', `${jars}/*`];
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      const format = await runCommand(java, [...classpath, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propertiesFile]);
      if (format.code !== 0) throw new Error(`formatting KRaft storage in ${dataDir} failed:\n${lastLines(format.output, 20)}`);
      log(`formatted KRaft storage in ${dataDir}`);
    }
    return {
      command: java,
      args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', this.marker, ...classpath, 'kafka.Kafka', propertiesFile],
      cwd: stackPaths.run,
    };
  },

  waitReady: (timeoutMs, beforeAttempt) => waitForKafkaReady(connection, { timeoutMs, beforeAttempt }),
};
