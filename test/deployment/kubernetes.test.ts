import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTopologyFile } from '../../src/topology/load.js';
import { consumerGroupOf, stageInputs, type TopologySpec } from '../../src/topology/spec.js';
import { asList, asMap, asStrings, fromRoot, isMap, kascadeCommand, loadYaml, loadYamlDocuments, readText, type YamlMap } from './deployment-files.js';

const FOLDER = 'deploy/kubernetes';
const resources = asStrings(asMap(loadYaml(`${FOLDER}/kustomization.yaml`), 'kustomization')['resources'], 'resources');
const documents = resources.flatMap((file) => loadYamlDocuments(`${FOLDER}/${file}`)).filter(isMap);
const { spec } = await loadTopologyFile(fromRoot('topologies/demo.yaml'));
const IMAGE = `kascade:${String(asMap(JSON.parse(readText('package.json')), 'package.json')['version'])}`;

const path = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((node, key) => (isMap(node) ? node[key] : undefined), value);
const ofKind = (all: readonly YamlMap[], kind: string): YamlMap[] => all.filter((document) => document['kind'] === kind);
const nameOf = (document: YamlMap): string => String(path(document, 'metadata', 'name'));
const containerOf = (document: YamlMap): YamlMap => asMap(asList(path(document, 'spec', 'template', 'spec', 'containers'), `${nameOf(document)}.containers`)[0], nameOf(document));

/** Stage Deployments, topics Job and KEDA ScaledObjects agree with the topology and with each other. */
function kubernetesProblems(all: readonly YamlMap[], topology: TopologySpec): string[] {
  const problems: string[] = [];
  const config = asMap(path(ofKind(all, 'ConfigMap').find((map) => nameOf(map) === 'kascade-config'), 'data'), 'kascade-config.data');
  const port = Number(config['KASCADE_METRICS_PORT']);
  const jobs = ofKind(all, 'Job').map((job) => kascadeCommand(asStrings(containerOf(job)['args'], nameOf(job))));
  const topicsJob = jobs.find((command) => command.verb === 'topics');
  if (topicsJob === undefined) problems.push('no topics Job');
  const deployments = new Map<string, YamlMap>();
  for (const deployment of ofKind(all, 'Deployment')) {
    const container = containerOf(deployment);
    const command = kascadeCommand(asStrings(container['args'], nameOf(deployment)));
    const stage = command.stages[0];
    if (command.verb !== 'run' || command.stages.length !== 1 || stage === undefined) {
      problems.push(`${nameOf(deployment)}: is not one kascade stage`);
      continue;
    }
    if (stage !== nameOf(deployment)) problems.push(`${nameOf(deployment)}: runs stage ${stage}`);
    if (deployments.has(stage)) problems.push(`stage ${stage}: two Deployments`);
    deployments.set(stage, deployment);
    if (command.topology !== topicsJob?.topology) problems.push(`${stage}: runs ${String(command.topology)}, the topics Job creates ${String(topicsJob?.topology)}`);
    if (container['image'] !== IMAGE) problems.push(`${stage}: image ${String(container['image'])}, expected ${IMAGE}`);
    const ports = asList(container['ports'], `${stage}.ports`).map((entry) => path(entry, 'containerPort'));
    if (!ports.includes(port)) problems.push(`${stage}: does not expose KASCADE_METRICS_PORT ${port}`);
    if (path(container, 'livenessProbe', 'httpGet', 'path') !== '/healthz' || path(container, 'readinessProbe', 'httpGet', 'path') !== '/readyz') problems.push(`${stage}: probes are not /healthz and /readyz`);
  }
  const scaled = new Map(ofKind(all, 'ScaledObject').map((object) => [String(path(object, 'spec', 'scaleTargetRef', 'name')), object]));
  for (const stage of topology.stages) {
    if (!deployments.has(stage.name)) problems.push(`stage ${stage.name}: no Deployment`);
    const object = scaled.get(stage.name);
    if (object === undefined) {
      problems.push(`stage ${stage.name}: no ScaledObject`);
      continue;
    }
    const inputs = stageInputs(stage);
    const partitions = Math.min(...inputs.map((topic) => topology.topics[topic]?.partitions ?? 1));
    const trigger = asList(path(object, 'spec', 'triggers'), `${stage.name}.triggers`).find((entry) => path(entry, 'type') === 'kafka');
    if (path(trigger, 'metadata', 'consumerGroup') !== consumerGroupOf(topology, stage)) problems.push(`${stage.name}: KEDA watches group ${String(path(trigger, 'metadata', 'consumerGroup'))}`);
    if (!inputs.includes(String(path(trigger, 'metadata', 'topic')))) problems.push(`${stage.name}: KEDA watches topic ${String(path(trigger, 'metadata', 'topic'))}`);
    if (path(object, 'spec', 'maxReplicaCount') !== partitions) problems.push(`${stage.name}: maxReplicaCount ${String(path(object, 'spec', 'maxReplicaCount'))}, input partitions ${partitions}`);
  }
  for (const name of scaled.keys()) if (!deployments.has(name)) problems.push(`ScaledObject for ${name}: no such Deployment`);
  return problems;
}

test('every stage of the demo has one Deployment and one KEDA ScaledObject that agree with the topology', () => {
  assert.equal(ofKind(documents, 'Deployment').length, spec.stages.length);
  assert.deepEqual(kubernetesProblems(documents, spec), []);
});

test('the Kubernetes rules find a stage scaled beyond its partitions, a wrong group and a missing Deployment', () => {
  const broken = structuredClone(documents) as Record<string, unknown>[];
  const scaledObject = broken.find((document) => document['kind'] === 'ScaledObject' && path(document, 'metadata', 'name') === 'split');
  const spec0 = path(scaledObject, 'spec');
  assert.ok(isMap(spec0));
  (spec0 as Record<string, unknown>)['maxReplicaCount'] = 8;
  const metadata = path(asList(path(scaledObject, 'spec', 'triggers'), 'triggers')[0], 'metadata');
  assert.ok(isMap(metadata));
  (metadata as Record<string, unknown>)['consumerGroup'] = 'split';
  const withoutDeployment = broken.filter((document) => !(document['kind'] === 'Deployment' && path(document, 'metadata', 'name') === 'rank-challenger'));
  assert.deepEqual(kubernetesProblems(withoutDeployment, spec), [
    'split: KEDA watches group split',
    'split: maxReplicaCount 8, input partitions 4',
    'stage rank-challenger: no Deployment',
    'ScaledObject for rank-challenger: no such Deployment',
  ]);
});
