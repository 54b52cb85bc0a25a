import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectionFromEnv } from '../../src/config/connection.js';
import { isSchemaRegistryAnswering, probeSchemaRegistry } from '../../src/serde/registry-probe.js';
import { createHttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { ensureRegistryBundle } from './fetch.js';
import { findJava } from './java.js';
import { STACK_DIR, stateDirs } from './paths.js';
import { processMarker } from './processes.js';
import type { LocalService } from './service.js';
import { REGISTRY_MANAGEMENT_PORT, REGISTRY_MIN_JAVA, REGISTRY_PORT } from './versions.js';

const HOST = '127.0.0.1';
/** A subject the stack writes once at start (kascade never reads it). */
const WARM_UP_SUBJECT = 'kascade.stack.warm-up-value';
const WARM_UP_SCHEMA = JSON.stringify({ type: 'record', name: 'WarmUp', namespace: 'kascade.stack', fields: [] });

/** Where one registry lives: its name, ports and the folder of its data, logs and pid file. */
export interface RegistryPlacement {
  readonly name: string;
  readonly stackDir: string;
  readonly port: number;
  readonly managementPort: number;
}

/** Apicurio Registry 3 with file-backed H2 storage, serving the Confluent API under /apis/ccompat/v7. */
export function registryServiceAt(placement: RegistryPlacement): LocalService {
  const dirs = stateDirs(placement.stackDir);
  const connection = connectionFromEnv({ SCHEMA_REGISTRY_URL: `http://${HOST}:${placement.port}/apis/ccompat/v7` });
  return {
    name: placement.name,
    address: connection.schemaRegistryUrl,
    logFile: join(dirs.logs, `${placement.name}.log`),
    pidFile: join(dirs.run, `${placement.name}.pid`),
    marker: processMarker(placement.stackDir, placement.name),

    answering: () => isSchemaRegistryAnswering(connection, 1500),

    async prepare(log) {
      const [bundle, java] = await Promise.all([ensureRegistryBundle(log), findJava(REGISTRY_MIN_JAVA)]);
      // Schemas must outlive a restart like the broker's data does: records in Kafka name schemas by
      // id, and an in-memory registry would hand those ids to other schemas after a restart.
      const database = join(dirs.data, placement.name, 'registry');
      mkdirSync(join(dirs.data, placement.name), { recursive: true });
      return {
        command: java,
        args: [
          '-Xms128m',
          '-Xmx512m',
          `-Dquarkus.http.host=${HOST}`,
          `-Dquarkus.http.port=${placement.port}`,
          `-Dquarkus.management.host=${HOST}`,
          `-Dquarkus.management.port=${placement.managementPort}`,
          `-Dapicurio.datasource.url=jdbc:h2:file:${database};DB_CLOSE_ON_EXIT=FALSE`,
          this.marker,
          '-jar',
          'quarkus-run.jar',
        ],
        cwd: bundle,
      };
    },

    async waitReady(timeoutMs, beforeAttempt) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        beforeAttempt();
        try {
          await probeSchemaRegistry(connection, 2000);
          // The first write initialises the registry's storage and can take seconds on a cold JVM:
          // done here, it does not time out a stage's or a test's first registration.
          await createHttpSchemaRegistryClient(connection, { timeoutMs: Math.max(5_000, deadline - Date.now()) }).register(WARM_UP_SUBJECT, WARM_UP_SCHEMA);
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
  };
}

export const registryService = registryServiceAt({ name: 'schema-registry', stackDir: STACK_DIR, port: REGISTRY_PORT, managementPort: REGISTRY_MANAGEMENT_PORT });
