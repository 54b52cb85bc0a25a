import { deadLetterTopicOf, stageInputs, stageOutputs, type StageSpec, type TopologySpec } from './spec.js';

export type TopicRole = 'input' | 'output' | 'dead-letter' | 'declared';

export interface TopologyTopic {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number | undefined;
  readonly roles: readonly TopicRole[];
}

/**
 * Every topic the given stages read, write or dead-letter to, with its declared partition count;
 * for the whole topology (the default) also the declared topics no stage uses (e.g. a clicks topic).
 */
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
  if (stages === spec.stages) for (const topic of Object.keys(spec.topics)) if (!roles.has(topic)) add(topic, 'declared');
  return [...roles].map(([topic, set]) => {
    const declared = spec.topics[topic];
    return { topic, partitions: declared?.partitions ?? 1, replicationFactor: declared?.replicationFactor, roles: [...set] };
  });
}
