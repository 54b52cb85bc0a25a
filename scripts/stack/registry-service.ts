import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectionFromEnv } from '../../src/config/connection.js';
import { isSchemaRegistryAnswering, probeSchemaRegistry } from '../../src/serde/registry-probe.js';
import { ensureRegistryBundle } from './fetch.js';
import { findJava } from './java.js';
import { STACK_DIR, stackPaths } from './paths.js';
import { processMarker } from './processes.js';
import type { LocalService } from './service.js';
import { REGISTRY_MANAGEMENT_PORT, REGISTRY_MIN_JAVA, REGISTRY_PORT } from './versions.js';

const HOST = '127.0.0.1';
const connection = connectionFromEnv({ SCHEMA_REGISTRY_URL: `http://${HOST}:${REGISTRY_PORT}/apis/ccompat/v7` });

/** Apicurio Registry 3 with file-backed H2 storage in .stack/data, serving the Confluent API under /apis/ccompat/v7. */
export const registryService: LocalService = {
  name: 'schema-registry',
  address: connection.schemaRegistryUrl,
  logFile: join(stackPaths.logs, 'schema-registry.log'),
  pidFile: join(stackPaths.run, 'schema-registry.pid'),
  marker: processMarker(STACK_DIR, 'schema-registry'),

  answering: () => isSchemaRegistryAnswering(connection, 1500),

  async prepare(log) {
    const [bundle, java] = await Promise.all([ensureRegistryBundle(log), findJava(REGISTRY_MIN_JAVA)]);
    // Schemas must outlive a restart like the broker's data does: records in Kafka name schemas by
    // id, and an in-memory registry would hand those ids to other schemas after a restart.
    const database = join(stackPaths.data, 'schema-registry', 'registry');
    mkdirSync(join(stackPaths.data, 'schema-registry'), { recursive: true });
    return {
      command: java,
      args: [
        '-Xms128m',
        '-Xmx512m',
        `-Dquarkus.http.host=${HOST}`,
        `-Dquarkus.http.port=${REGISTRY_PORT}`,
        `-Dquarkus.management.host=${HOST}`,
        `-Dquarkus.management.port=${REGISTRY_MANAGEMENT_PORT}`,
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
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  },
};
