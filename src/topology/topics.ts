import { deadLetterTopicOf, stageInputs, stageOutputs, type StageSpec, type TopologySpec } from './spec.js';

export type TopicRole = 'input' | 'output' | 'dead-letter';

export interface TopologyTopic {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number | undefined;
  readonly roles: readonly TopicRole[];
}

/** Every topic the given stages (all by default) read, write or dead-letter to, with its declared partition count. */
export function topologyTopics(spec: TopologySpec, stages: readonly StageSpec[] = spec.stages): TopologyTopic[] {
  const roles = new Map<string, Set<TopicRole>>();
  const add = (topic: string, role: TopicRole): void => {
    const set = roles.get(topic) ?? new Set<TopicRole>();
    set.add(role);
    roles.set(topic, set);
  };
  for (const stage of stages) {
    for (const topic of stageInputs(stage)) add(topic, 'input');
    for (const topic of stageOutputs(stage)) add(topic, 'output');
    if ((stage.onError ?? spec.defaults.onError) === 'dlq') add(deadLetterTopicOf(stage), 'dead-letter');
  }
  return [...roles].map(([topic, set]) => {
    const declared = spec.topics[topic];
    return { topic, partitions: declared?.partitions ?? 1, replicationFactor: declared?.replicationFactor, roles: [...set] };
  });
}
