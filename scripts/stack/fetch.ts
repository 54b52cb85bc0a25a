import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLines, runCommand } from './run-command.js';
import { shown, stackPaths } from './paths.js';
import { APICURIO_VERSION, KAFKA_VERSION, MAVEN_DEPENDENCY_PLUGIN, SLF4J_VERSION } from './versions.js';

export type Log = (line: string) => void;

const COMPLETE = '.complete';

/**
 * Fills `target` once: `fill` writes into a scratch folder that is renamed into place only when
 * it succeeded, so an interrupted fetch never leaves a half cache behind.
 */
async function fetchOnce(target: string, what: string, log: Log, fill: (scratch: string) => Promise<void>): Promise<string> {
  if (existsSync(join(target, COMPLETE))) return target;
  const scratch = `${target}.partial`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  log(`fetching ${what} from Maven Central into ${shown(target)} (once)...`);
  const started = Date.now();
  await fill(scratch);
  writeFileSync(join(scratch, COMPLETE), new Date().toISOString());
  rmSync(target, { recursive: true, force: true });
  renameSync(scratch, target);
  log(`fetched ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return target;
}

async function maven(args: readonly string[], what: string): Promise<void> {
  // The pom's versions are properties so that versions.ts stays the one place that names them.
  const properties = [`-Dkafka.version=${KAFKA_VERSION}`, `-Dslf4j.version=${SLF4J_VERSION}`, '-Dstyle.color=never'];
  const result = await runCommand('mvn', ['-B', '-q', '-f', stackPaths.pom, ...properties, ...args]).catch((error: unknown) => {
    throw new Error(`${String(error instanceof Error ? error.message : error)}; the local stack needs Maven (mvn) on PATH`);
  });
  if (result.code !== 0) throw new Error(`Maven could not fetch ${what} (exit ${result.code}):\n${lastLines(result.output, 30)}`);
}

/** The folder of jars that make up the Kafka broker's classpath. */
export function ensureKafkaJars(log: Log): Promise<string> {
  const target = join(stackPaths.cache, `kafka-${KAFKA_VERSION}`);
  return fetchOnce(target, `Apache Kafka ${KAFKA_VERSION} broker jars`, log, (scratch) =>
    maven(
      [`${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${scratch}`, '-DincludeScope=runtime'],
      'the Kafka broker jars',
    ),
  );
}

/** The unpacked Apicurio Registry bundle (holds quarkus-run.jar). */
export function ensureRegistryBundle(log: Log): Promise<string> {
  const target = join(stackPaths.cache, `apicurio-registry-${APICURIO_VERSION}`);
  const artifact = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
  return fetchOnce(target, `Apicurio Registry ${APICURIO_VERSION}`, log, async (scratch) => {
    const download = join(scratch, 'download');
    await maven([`${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${download}`], artifact);
    const archive = readdirSync(download).find((name) => name.endsWith('.tar.gz'));
    if (archive === undefined) throw new Error(`Maven reported success but no ${artifact} archive is in ${download}`);
    const untar = await runCommand('tar', ['-xzf', join(download, archive), '-C', scratch]);
    if (untar.code !== 0) throw new Error(`cannot unpack ${archive}:\n${lastLines(untar.output, 10)}`);
    rmSync(download, { recursive: true, force: true });
    if (!existsSync(join(scratch, 'quarkus-run.jar'))) throw new Error(`${archive} holds no quarkus-run.jar`);
  });
}
