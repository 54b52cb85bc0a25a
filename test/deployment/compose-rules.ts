/**
 * Consistency rules between docker/compose.yaml, docker/prometheus.yml, the Dockerfile and the
 * demo topology. Each rule returns the problems it found, so tests can show it finds them in a
 * deliberately broken copy as well as none in the real files.
 */
import { dirname, resolve } from 'node:path';
import { connectionFromEnv } from '../../src/config/connection.js';
import { stageInputs, type TopologySpec } from '../../src/topology/spec.js';
import { asMap, asStrings, fromRoot, isMap, kascadeCommand, type KascadeCommand, type YamlMap } from './deployment-files.js';

export interface ComposeService {
  readonly name: string;
  readonly definition: YamlMap;
}

export interface KascadeService extends ComposeService {
  readonly command: KascadeCommand;
  readonly environment: Readonly<Record<string, string>>;
}

export const COMPOSE_FILE = 'docker/compose.yaml';
export const DOCKERFILE = 'docker/Dockerfile';

export function servicesOf(compose: YamlMap): ComposeService[] {
  return Object.entries(asMap(compose['services'], 'services')).map(([name, definition]) => ({ name, definition: asMap(definition, `services.${name}`) }));
}

function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.definition['environment'];
  if (environment === undefined) return {};
  const entries = Object.entries(asMap(environment, `services.${service.name}.environment`));
  return Object.fromEntries(entries.map(([name, value]) => [name, String(value)]));
}

/** Services built from the project's Dockerfile, i.e. running the kascade CLI. */
export function kascadeServices(compose: YamlMap): KascadeService[] {
  return servicesOf(compose)
    .filter((service) => isMap(service.definition['build']))
    .map((service) => ({
      ...service,
      command: kascadeCommand(asStrings(service.definition['command'], `services.${service.name}.command`)),
      environment: environmentOf(service),
    }));
}

export const stageServices = (compose: YamlMap): KascadeService[] => kascadeServices(compose).filter((service) => service.command.verb === 'run');

/** Every stage has exactly one service named after it, and every `run` service runs one existing stage. */
export function stageCoverageProblems(compose: YamlMap, spec: TopologySpec): string[] {
  const problems: string[] = [];
  const names = new Set(spec.stages.map((stage) => stage.name));
  const servicesPerStage = new Map<string, string[]>();
  for (const service of stageServices(compose)) {
    const { stages } = service.command;
    if (stages.length !== 1) problems.push(`${service.name}: runs ${stages.length} stages; a service is one stage`);
    for (const stage of stages) {
      if (!names.has(stage)) problems.push(`${service.name}: stage "${stage}" is not in the topology`);
      servicesPerStage.set(stage, [...(servicesPerStage.get(stage) ?? []), service.name]);
      if (stage !== service.name) problems.push(`${service.name}: runs stage "${stage}"; name the service after its stage`);
    }
  }
  for (const stage of names) {
    const services = servicesPerStage.get(stage) ?? [];
    if (services.length !== 1) problems.push(`stage ${stage}: ${services.length} services (${services.join(', ')}), expected exactly one`);
  }
  return problems;
}

/** One image name for everything built from docker/Dockerfile, with the repository root as context. */
export function imageProblems(compose: YamlMap, expectedImage: string): string[] {
  const problems: string[] = [];
  for (const service of kascadeServices(compose)) {
    const build = asMap(service.definition['build'], `${service.name}.build`);
    const context = resolve(dirname(fromRoot(COMPOSE_FILE)), String(build['context']));
    if (context !== resolve(fromRoot('.'))) problems.push(`${service.name}: build context ${context} is not the repository root`);
    if (build['dockerfile'] !== DOCKERFILE) problems.push(`${service.name}: builds ${String(build['dockerfile'])}, not ${DOCKERFILE}`);
    if (service.definition['image'] !== expectedImage) problems.push(`${service.name}: image ${String(service.definition['image'])}, expected ${expectedImage}`);
  }
  return problems;
}

/** The metrics port: environment, exposed and published ports, and the Prometheus targets. */
export function metricsPortProblems(compose: YamlMap, prometheus: YamlMap, imagePort: string): string[] {
  const problems: string[] = [];
  const stages = stageServices(compose);
  for (const service of stages) {
    const port = service.environment['KASCADE_METRICS_PORT'];
    if (port !== imagePort) problems.push(`${service.name}: KASCADE_METRICS_PORT=${String(port)}, the image's is ${imagePort}`);
    if (service.command.args.includes('--metrics-port') || service.command.args.includes('--no-metrics')) problems.push(`${service.name}: overrides the metrics port on the command line`);
    const exposed = service.definition['expose'] === undefined ? [] : asStrings(service.definition['expose'], `${service.name}.expose`);
    if (!exposed.includes(imagePort)) problems.push(`${service.name}: does not expose ${imagePort}`);
    const published = service.definition['ports'] === undefined ? [] : asStrings(service.definition['ports'], `${service.name}.ports`);
    for (const mapping of published) if (mapping.split(':').at(-1) !== imagePort) problems.push(`${service.name}: publishes ${mapping}, not the metrics port`);
  }
  const jobs = (prometheus['scrape_configs'] as unknown[] | undefined) ?? [];
  const discovered = new Map<string, string>();
  for (const job of jobs) {
    for (const sd of (asMap(job, 'scrape_configs[]')['dns_sd_configs'] as unknown[] | undefined) ?? []) {
      const config = asMap(sd, 'dns_sd_configs[]');
      for (const name of asStrings(config['names'], 'dns_sd_configs[].names')) discovered.set(name, String(config['port']));
    }
  }
  for (const service of stages) {
    const port = discovered.get(service.name);
    if (port === undefined) problems.push(`prometheus: does not scrape ${service.name}`);
    else if (port !== imagePort) problems.push(`prometheus: scrapes ${service.name} on ${port}, not ${imagePort}`);
  }
  const names = new Set(stages.map((service) => service.name));
  for (const name of discovered.keys()) if (!names.has(name)) problems.push(`prometheus: scrapes ${name}, which is no stage service`);
  return problems;
}

/** The topics job and every stage use the same topology, and stages start after the job and healthy infrastructure. */
export function orderingProblems(compose: YamlMap): string[] {
  const problems: string[] = [];
  const all = new Map(servicesOf(compose).map((service) => [service.name, service.definition]));
  const topicsJobs = kascadeServices(compose).filter((service) => service.command.verb === 'topics');
  if (topicsJobs.length !== 1) return [`${topicsJobs.length} topics jobs, expected one`];
  const [job] = topicsJobs;
  if (job === undefined) return problems;
  for (const service of stageServices(compose)) {
    if (service.command.topology !== job.command.topology) problems.push(`${service.name}: runs ${String(service.command.topology)}, the topics job creates ${String(job.command.topology)}`);
    const dependsOn = asMap(service.definition['depends_on'] ?? {}, `${service.name}.depends_on`);
    const conditionOf = (name: string): unknown => (isMap(dependsOn[name]) ? dependsOn[name]['condition'] : undefined);
    if (conditionOf(job.name) !== 'service_completed_successfully') problems.push(`${service.name}: does not wait for ${job.name} to complete`);
    for (const [name, condition] of Object.entries(dependsOn)) {
      if (!all.has(name)) problems.push(`${service.name}: depends on unknown service ${name}`);
      if (isMap(condition) && condition['condition'] === 'service_healthy' && !isMap(all.get(name)?.['healthcheck'])) {
        problems.push(`${service.name}: waits for ${name} to be healthy, but ${name} has no healthcheck`);
      }
    }
    for (const infrastructure of ['kafka', 'schema-registry']) if (conditionOf(infrastructure) !== 'service_healthy') problems.push(`${service.name}: does not wait for a healthy ${infrastructure}`);
  }
  return problems;
}

/** No more instances of a stage than partitions of its input: the extra ones would sit idle. */
export function replicaProblems(compose: YamlMap, spec: TopologySpec): string[] {
  const problems: string[] = [];
  for (const service of stageServices(compose)) {
    const stage = spec.stages.find((candidate) => candidate.name === service.command.stages[0]);
    if (stage === undefined) continue;
    const partitions = Math.min(...stageInputs(stage).map((topic) => spec.topics[topic]?.partitions ?? 1));
    const deploy = service.definition['deploy'];
    const replicas = isMap(deploy) && deploy['replicas'] !== undefined ? Number(deploy['replicas']) : 1;
    if (!(Number.isInteger(replicas) && replicas >= 1 && replicas <= partitions)) problems.push(`${service.name}: ${String(replicas)} replicas for ${partitions} input partitions`);
  }
  return problems;
}

/** Settings parse with kascade's own parser and point at services of the file; traces go to Jaeger's OTLP/HTTP. */
export function environmentProblems(compose: YamlMap): string[] {
  const problems: string[] = [];
  const all = new Map(servicesOf(compose).map((service) => [service.name, service.definition]));
  const serviceNames = new Set<string>();
  for (const service of kascadeServices(compose)) {
    const { environment } = service;
    try {
      const connection = connectionFromEnv(environment);
      for (const broker of connection.brokers) if (!all.has(broker.replace(/:\d+$/, ''))) problems.push(`${service.name}: broker ${broker} is no service`);
      const registry = new URL(connection.schemaRegistryUrl);
      if (!all.has(registry.hostname)) problems.push(`${service.name}: registry host ${registry.hostname} is no service`);
    } catch (error) {
      problems.push(`${service.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!['debug', 'info', 'warn', 'error', 'silent'].includes(environment['KASCADE_LOG_LEVEL'] ?? 'info')) problems.push(`${service.name}: bad KASCADE_LOG_LEVEL`);
    if (service.command.verb !== 'run') continue;
    const endpoint = environment['OTEL_EXPORTER_OTLP_ENDPOINT'];
    const url = endpoint === undefined ? undefined : new URL(endpoint);
    const collector = url === undefined ? undefined : all.get(url.hostname)?.['image'];
    if (url === undefined || url.port !== '4318' || typeof collector !== 'string' || !collector.startsWith('jaegertracing/')) problems.push(`${service.name}: OTEL_EXPORTER_OTLP_ENDPOINT must be Jaeger's OTLP/HTTP port 4318`);
    // The endpoint variable turns on OTLP metrics too; Jaeger would refuse them.
    if (!['prometheus', 'none'].includes(environment['OTEL_METRICS_EXPORTER'] ?? 'otlp')) problems.push(`${service.name}: OTLP metrics would go to Jaeger; set OTEL_METRICS_EXPORTER=prometheus`);
    const name = environment['OTEL_SERVICE_NAME'];
    if (name === undefined || serviceNames.has(name)) problems.push(`${service.name}: OTEL_SERVICE_NAME missing or shared`);
    if (name !== undefined) serviceNames.add(name);
  }
  return problems;
}

/** Stages keep the image's /healthz check and restart; one-shot jobs turn the check off and do not restart. */
export function lifecycleProblems(compose: YamlMap): string[] {
  const problems: string[] = [];
  for (const service of kascadeServices(compose)) {
    const healthcheck = service.definition['healthcheck'];
    const disabled = isMap(healthcheck) && healthcheck['disable'] === true;
    const restart = service.definition['restart'];
    if (service.command.verb === 'run') {
      if (disabled) problems.push(`${service.name}: a stage must keep its /healthz check`);
      if (restart !== 'unless-stopped' && restart !== 'always') problems.push(`${service.name}: a stage must restart`);
    } else {
      if (!disabled) problems.push(`${service.name}: a one-shot command serves no /healthz; disable the check`);
      if (restart !== 'no') problems.push(`${service.name}: a one-shot command must not restart`);
    }
  }
  return problems;
}
