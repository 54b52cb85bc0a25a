import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import {
  COMPOSE_FILE,
  environmentProblems,
  imageProblems,
  lifecycleProblems,
  metricsPortProblems,
  orderingProblems,
  replicaProblems,
  stageCoverageProblems,
  stageServices,
} from './compose-rules.js';
import { asMap, fromRoot, loadYaml, parseComposeYaml, readText, type YamlMap } from './deployment-files.js';

const compose = asMap(parseComposeYaml(readText(COMPOSE_FILE)), COMPOSE_FILE);
const prometheus = asMap(loadYaml('docker/prometheus.yml'), 'docker/prometheus.yml');
const packageVersion = String(asMap(JSON.parse(readText('package.json')), 'package.json')['version']);
const IMAGE = `kascade:${packageVersion}`;
const { spec } = await loadTopologyFile(fromRoot('topologies/demo.yaml'));

/** The image's own metrics port: ENV KASCADE_METRICS_PORT of the Dockerfile. */
const imagePort = /KASCADE_METRICS_PORT=(\d+)/.exec(readText('docker/Dockerfile'))?.[1] ?? 'none';

const schema = asMap(JSON.parse(readText('test/deployment/compose-spec.json')), 'compose-spec.json');
// strictTypes/strictTuples off: the schema leaves out `type` beside `properties`, as the spec
// allows; strictSchema stays on, so a keyword Ajv does not know would fail the compile.
const validateCompose = new Ajv2020({ allErrors: true, strictTypes: false, strictTuples: false }).compile(schema);

/** A deep copy to break on purpose. */
const copy = (document: YamlMap): Record<string, unknown> => structuredClone(document);
const servicesOfCopy = (document: Record<string, unknown>): Record<string, Record<string, unknown>> => document['services'] as Record<string, Record<string, unknown>>;

test('the compose file is valid against the Compose Specification schema (draft 2020-12)', () => {
  assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
  const valid = validateCompose(compose);
  assert.ok(valid, JSON.stringify(validateCompose.errors, null, 2));
});

test('the schema rejects broken compose documents', () => {
  const misspelt = copy(compose);
  const split = servicesOfCopy(misspelt)['split'];
  assert.ok(split !== undefined);
  split['replica'] = 2;
  assert.equal(validateCompose(misspelt), false, 'an unknown service key');

  const badCondition = copy(compose);
  servicesOfCopy(badCondition)['split'] = { ...split, depends_on: { topics: { condition: 'service_done' } } };
  assert.equal(validateCompose(badCondition), false, 'an unknown depends_on condition');

  const badHealthcheck = copy(compose);
  const kafka = servicesOfCopy(badHealthcheck)['kafka'];
  assert.ok(kafka !== undefined);
  kafka['healthcheck'] = { test: ['CMD', 'true'], intervall: '10s' };
  assert.equal(validateCompose(badHealthcheck), false, 'an unknown healthcheck key');

  assert.equal(validateCompose({ ...copy(compose), service: {} }), false, 'an unknown top-level key');
});

test('YAML anchors and merge keys expand into complete stage services', () => {
  const stages = stageServices(compose);
  assert.equal(stages.length, spec.stages.length);
  for (const service of stages) {
    assert.equal(service.definition['image'], IMAGE, service.name);
    assert.equal(service.environment['KAFKA_BROKERS'], 'kafka:9092', service.name);
    assert.ok(service.command.args.includes('--no-create-topics'), `${service.name}: topics come from the topics job, not from racing replicas`);
  }
});

test('every stage of the demo topology has exactly one service, and every stage service runs an existing stage', () => {
  assert.deepEqual(stageCoverageProblems(compose, spec), []);

  const missing = copy(compose);
  delete servicesOfCopy(missing)['rank-champion'];
  assert.deepEqual(stageCoverageProblems(missing, spec), ['stage rank-champion: 0 services (), expected exactly one']);

  const unknown = copy(compose);
  const pick = servicesOfCopy(unknown)['pick-champion'];
  assert.ok(pick !== undefined);
  pick['command'] = ['run', 'topologies/demo.yaml', '--stage', 'pick-champoin'];
  assert.ok(stageCoverageProblems(unknown, spec).includes('pick-champion: stage "pick-champoin" is not in the topology'));
});

test('every service built from docker/Dockerfile uses the same image name and tag, the package version', () => {
  assert.deepEqual(imageProblems(compose, IMAGE), []);
  const retagged = copy(compose);
  const traffic = servicesOfCopy(retagged)['traffic'];
  assert.ok(traffic !== undefined);
  traffic['image'] = 'kascade:latest';
  assert.deepEqual(imageProblems(retagged, IMAGE), [`traffic: image kascade:latest, expected ${IMAGE}`]);
});

test('exposed ports and the Prometheus targets agree with KASCADE_METRICS_PORT', () => {
  assert.equal(imagePort, '9464');
  assert.deepEqual(metricsPortProblems(compose, prometheus, imagePort), []);

  const moved = copy(compose);
  const split = servicesOfCopy(moved)['split'];
  assert.ok(split !== undefined);
  split['environment'] = { ...(split['environment'] as object), KASCADE_METRICS_PORT: '9100' };
  assert.deepEqual(metricsPortProblems(moved, prometheus, imagePort), ['split: KASCADE_METRICS_PORT=9100, the image\'s is 9464']);

  const unscraped = structuredClone(prometheus) as { scrape_configs: { dns_sd_configs: { names: string[] }[] }[] };
  const names = unscraped.scrape_configs[0]?.dns_sd_configs[0]?.names;
  assert.ok(names !== undefined);
  names.splice(names.indexOf('rank-challenger'), 1);
  assert.deepEqual(metricsPortProblems(compose, unscraped, imagePort), ['prometheus: does not scrape rank-challenger']);
});

test('the topics job and the stages use the same topology file; stages wait for it and for healthy infrastructure', () => {
  assert.deepEqual(orderingProblems(compose), []);
  const other = copy(compose);
  const topics = servicesOfCopy(other)['topics'];
  assert.ok(topics !== undefined);
  topics['command'] = ['topics', 'topologies/ab-test.yaml'];
  assert.equal(orderingProblems(other).length, spec.stages.length);

  const unhealthy = copy(compose);
  delete servicesOfCopy(unhealthy)['kafka']?.['healthcheck'];
  assert.ok(orderingProblems(unhealthy).includes('split: waits for kafka to be healthy, but kafka has no healthcheck'));
});

test('no stage has more replicas than its input topic has partitions', () => {
  assert.deepEqual(replicaProblems(compose, spec), []);
  const scaled = copy(compose);
  servicesOfCopy(scaled)['split'] = { ...servicesOfCopy(scaled)['split'], deploy: { replicas: 5 } };
  assert.deepEqual(replicaProblems(scaled, spec), ['split: 5 replicas for 4 input partitions']);
});

test('connection settings parse with kascade\'s own parser, name services of the file, and traces go to Jaeger', () => {
  assert.deepEqual(environmentProblems(compose), []);
  const broken = copy(compose);
  const traffic = servicesOfCopy(broken)['traffic'];
  assert.ok(traffic !== undefined);
  traffic['environment'] = { ...(traffic['environment'] as object), KAFKA_BROKERS: 'broker:9092' };
  assert.deepEqual(environmentProblems(broken), ['traffic: broker broker:9092 is no service']);

  const pushing = copy(compose);
  const split = servicesOfCopy(pushing)['split'];
  assert.ok(split !== undefined);
  split['environment'] = { ...(split['environment'] as object), OTEL_METRICS_EXPORTER: 'otlp' };
  assert.deepEqual(environmentProblems(pushing), ['split: OTLP metrics would go to Jaeger; set OTEL_METRICS_EXPORTER=prometheus']);
});

test('stages keep the /healthz check and restart; one-shot jobs turn the check off and run once', () => {
  assert.deepEqual(lifecycleProblems(compose), []);
  const restarting = copy(compose);
  const topics = servicesOfCopy(restarting)['topics'];
  assert.ok(topics !== undefined);
  topics['restart'] = 'always';
  assert.deepEqual(lifecycleProblems(restarting), ['topics: a one-shot command must not restart']);
});
