import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionFromEnv } from '../../src/config/connection.js';
import { isKafkaAnswering, kafkaProblem, waitForKafkaReady } from '../../src/kafka/admin/probe.js';
import { ensureBrokerTls, type BrokerTls } from './broker-tls.js';
import { ensureKafkaJars, type Log } from './fetch.js';
import { findJava } from './java.js';
import { shown, STACK_DIR, stateDirs } from './paths.js';
import { processMarker } from './processes.js';
import { lastLines, runCommand } from './run-command.js';
import { upsertScramUsers } from './scram-users.js';
import { readSecureListener, SECURE_MECHANISMS, SECURE_USER, secureClientEnv, secureListenerFile, writeSecureListener, type SecureListener } from './secure-listener.js';
import type { LocalService } from './service.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_MIN_JAVA, KAFKA_PORT, KAFKA_SECURE_PORT } from './versions.js';

const HOST = '127.0.0.1';

/**
 * The JVM settings Kafka's own start scripts use (kafka-server-start.sh and kafka-run-class.sh):
 * a fixed 1 GiB heap and G1 aiming at 20 ms pauses. With G1's default 200 ms aim, the broker's
 * young collections took 25-75 ms every few seconds under the benchmark's load, and every
 * client's latency tail showed them.
 */
const BROKER_JVM_OPTIONS = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

/** KASCADE_STACK_GC_LOG=FILE logs the broker's collections, to line latency spikes up with them. */
function gcLog(): string[] {
  const file = process.env['KASCADE_STACK_GC_LOG'];
  return file === undefined || file === '' ? [] : [`-Xlog:gc:file=${file}:time`];
}

/** Where one broker lives: its name, ports and the folder of its data, logs and pid file. */
export interface KafkaPlacement {
  readonly name: string;
  readonly stackDir: string;
  readonly port: number;
  readonly controllerPort: number;
  /** A second listener, SASL_SSL with SCRAM-SHA-256/512 (see secure-listener.ts); none when absent. */
  readonly securePort?: number;
}

/** The SASL_SSL listener's settings in the broker's properties. */
export interface SecureListenerProperties {
  readonly port: number;
  readonly keystoreFile: string;
  readonly keystorePassword: string;
}

const SCRAM_LOGIN = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';

/**
 * Single node, broker and controller in one process; replication factors of 1 so it works alone.
 * With `secure`, a SASL_SSL listener beside the PLAINTEXT one, which stays the inter-broker listener.
 */
export function brokerProperties(
  dataDir: string,
  placement: Pick<KafkaPlacement, 'port' | 'controllerPort'> = { port: KAFKA_PORT, controllerPort: KAFKA_CONTROLLER_PORT },
  secure?: SecureListenerProperties,
): string {
  const { port, controllerPort } = placement;
  const secureListener = secure === undefined ? '' : `,SASL_SSL://${HOST}:${secure.port}`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}${secureListener}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port}${secureListener}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${secure === undefined ? '' : ',SASL_SSL:SASL_SSL'}`,
    'inter.broker.listener.name=PLAINTEXT',
    ...(secure === undefined
      ? []
      : [
          `listener.name.sasl_ssl.sasl.enabled.mechanisms=${SECURE_MECHANISMS.join(',')}`,
          ...SECURE_MECHANISMS.map((mechanism) => `listener.name.sasl_ssl.${mechanism.toLowerCase()}.sasl.jaas.config=${SCRAM_LOGIN}`),
          'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
          `listener.name.sasl_ssl.ssl.keystore.location=${secure.keystoreFile}`,
          `listener.name.sasl_ssl.ssl.keystore.password=${secure.keystorePassword}`,
          `listener.name.sasl_ssl.ssl.key.password=${secure.keystorePassword}`,
        ]),
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

/** A broker at `placement`; the default one is the project's stack on 9092 (and 9094 for SASL_SSL). */
export function kafkaServiceAt(placement: KafkaPlacement): LocalService {
  const dirs = stateDirs(placement.stackDir);
  const connection = connectionFromEnv({ KAFKA_BROKERS: `${HOST}:${placement.port}` });
  // Set by prepare() when this process starts the broker; the SCRAM users are made once it is ready.
  let secureStart: { listener: SecureListener; log: Log } | undefined;
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
      const securePort = placement.securePort;
      const tls = securePort === undefined ? undefined : await ensureBrokerTls(java, join(dirs.data, `${placement.name}-tls`), log);
      const secure = securePort === undefined || tls === undefined ? undefined : { port: securePort, keystoreFile: tls.keystoreFile, keystorePassword: tls.keystorePassword };
      // The keystore password is in it: readable by the owner only.
      writeFileSync(propertiesFile, brokerProperties(dataDir, placement, secure), { mode: 0o600 });
      if (secure !== undefined && tls !== undefined) secureStart = { listener: secureListenerFor(placement, secure.port, tls), log };
      const classpath = ['-cp', `${jars}/*`];
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        const format = await runCommand(java, [...classpath, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propertiesFile]);
        if (format.code !== 0) throw new Error(`formatting KRaft storage in ${dataDir} failed:\n${lastLines(format.output, 20)}`);
        log(`formatted KRaft storage in ${dataDir}`);
      }
      return {
        command: java,
        args: [...BROKER_JVM_OPTIONS, ...gcLog(), this.marker, ...classpath, 'kafka.Kafka', propertiesFile],
        cwd: dirs.run,
      };
    },

    async waitReady(timeoutMs, beforeAttempt) {
      const deadline = Date.now() + timeoutMs;
      await waitForKafkaReady(connection, { timeoutMs, beforeAttempt });
      if (secureStart === undefined) return;
      const { listener, log } = secureStart;
      secureStart = undefined;
      await openSecureListener(placement, listener, deadline, beforeAttempt);
      log(`${placement.name}: SASL_SSL (${listener.mechanisms.join(', ')}) at ${listener.brokers}; user, password and CA in ${shown(secureListenerFile(placement.stackDir, placement.name))}`);
    },
  };
}

/** The listener's description; the password is the one of an earlier start when there was one, so clients keep working. */
function secureListenerFor(placement: KafkaPlacement, port: number, tls: BrokerTls): SecureListener {
  const earlier = readSecureListener(secureListenerFile(placement.stackDir, placement.name));
  return {
    brokers: `${HOST}:${port}`,
    securityProtocol: 'SASL_SSL',
    mechanisms: SECURE_MECHANISMS,
    username: SECURE_USER,
    password: earlier?.password ?? randomBytes(18).toString('base64url'),
    caFile: tls.caFile,
    serverKeystore: { file: tls.keystoreFile, password: tls.keystorePassword },
  };
}

/**
 * Creates (or updates) the SCRAM user for both mechanisms on every start (existing data folders
 * included, which a format-time `--add-scram` would miss), then waits until a client logs in over
 * TLS with it, and only then writes the listener's JSON for clients to read.
 */
async function openSecureListener(placement: KafkaPlacement, listener: SecureListener, deadline: number, beforeAttempt: () => void): Promise<void> {
  await upsertScramUsers(
    HOST,
    placement.port,
    listener.mechanisms.map((mechanism) => ({ user: listener.username, mechanism, password: listener.password })),
  );
  const clients = listener.mechanisms.map((mechanism) => connectionFromEnv(secureClientEnv(listener, mechanism)));
  let problem: string | undefined;
  do {
    beforeAttempt();
    // The credentials reach the listener through the metadata log: the first login may come too early.
    problem = (await Promise.all(clients.map((client) => kafkaProblem(client, 5000)))).find((found) => found !== undefined);
    if (problem === undefined) {
      writeSecureListener(secureListenerFile(placement.stackDir, placement.name), listener);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  } while (Date.now() < deadline);
  throw new Error(`the SASL_SSL listener at ${listener.brokers} did not accept the SCRAM user: ${problem}`);
}

export const kafkaService = kafkaServiceAt({
  name: 'kafka',
  stackDir: STACK_DIR,
  port: KAFKA_PORT,
  controllerPort: KAFKA_CONTROLLER_PORT,
  securePort: KAFKA_SECURE_PORT,
});
