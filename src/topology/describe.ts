import { consumerGroupOf, deadLetterTopicOf, stageInputs, stageOutputs, topicSpecOf, type StageSpec, type TopicSpec, type TopologySpec } from './spec.js';
import { topologicalStageOrder } from './stage-graph.js';

/**
 * The text `kascade describe` prints: topics, then stages as
 * `inputs -> stage (type, group, delivery, dlq topic) -> outputs`, sources first. The same spec
 * always gives the same text (no timestamps, no map iteration order surprises).
 */
export function describeTopology(spec: TopologySpec): string {
  const lines = [`topology ${spec.name}`];
  if (spec.description !== undefined && spec.description.trim() !== '') {
    lines.push(...spec.description.trim().split('\n').map((line) => `  ${line}`));
  }
  const topics = describedTopics(spec);
  lines.push('', `topics (${topics.length}):`);
  const width = Math.max(...topics.map((topic) => topic.name.length));
  for (const topic of topics) lines.push(`  ${topic.name.padEnd(width)}  ${topicDetails(topic)}`);
  lines.push('', `stages (${spec.stages.length}, sources first):`);
  for (const index of topologicalStageOrder(spec)) {
    const stage = spec.stages[index];
    if (stage !== undefined) lines.push(`  ${stageLine(spec, stage)}`);
  }
  if (spec.allowCycles) lines.push('', 'cycles between stages are allowed (allowCycles: true)');
  return lines.map((line) => line.trimEnd()).join('\n');
}

interface DescribedTopic {
  readonly name: string;
  readonly spec: TopicSpec;
  /** Stages that dead-letter into this topic. */
  readonly deadLetterFor: readonly string[];
}

/** Declared topics and every topic a stage reads, writes or dead-letters into, by name. */
function describedTopics(spec: TopologySpec): DescribedTopic[] {
  const deadLetterFor = new Map<string, string[]>();
  const names = new Set(Object.keys(spec.topics));
  for (const stage of spec.stages) {
    for (const topic of [...stageInputs(stage), ...stageOutputs(stage)]) names.add(topic);
    if ((stage.onError ?? spec.defaults.onError) !== 'dlq') continue;
    const topic = deadLetterTopicOf(stage);
    names.add(topic);
    deadLetterFor.set(topic, [...(deadLetterFor.get(topic) ?? []), stage.name]);
  }
  // Code-unit order, not localeCompare: the same on every machine.
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => ({ name, spec: topicSpecOf(spec, name), deadLetterFor: deadLetterFor.get(name) ?? [] }));
}

function topicDetails(topic: DescribedTopic): string {
  const { spec } = topic;
  const parts = [spec.format.padEnd(5), `${spec.partitions} partition${spec.partitions === 1 ? ' ' : 's'}`];
  if (spec.replicationFactor !== undefined) parts.push(`replication ${spec.replicationFactor}`);
  if (spec.external) parts.push('external');
  if (spec.schema !== undefined) parts.push(`schema ${spec.schema}`);
  if (topic.deadLetterFor.length > 0) parts.push(`dead letters of ${topic.deadLetterFor.join(', ')}`);
  return parts.join('  ');
}

function stageLine(spec: TopologySpec, stage: StageSpec): string {
  const onError = stage.onError ?? spec.defaults.onError;
  const details = [
    stage.type,
    `group ${consumerGroupOf(spec, stage)}`,
    stage.delivery ?? spec.defaults.delivery,
    onError === 'dlq' ? `dlq ${deadLetterTopicOf(stage)}` : `on error ${onError}`,
  ];
  return `${stageInputs(stage).join(', ')} -> ${stage.name} (${details.join(', ')}) -> ${stageOutputs(stage).join(', ')}`;
}
