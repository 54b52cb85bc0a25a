import type { InferenceStageSpec, KeyFormat, TopologySpec } from '../topology/spec.js';
import { keyTextOfBytes } from './key-text.js';
import { partitionForKey } from './partitioner.js';

/**
 * Beam's advice is to group records by model before inference so a worker does not thrash its
 * models. On Kafka the grouping is the partitioning: keys of one model cohort go to the same
 * partitions, and Kafka gives each partition to one stage instance.
 *
 * Models (sorted by id) take partitions round robin: with M models and P >= M partitions, model
 * i owns partitions i, i+M, i+2M, ... and its keys spread over them by key hash; with P < M,
 * model i gets partition i mod P. Keys no mapping names follow the default model, else the key hash.
 * A key's bytes are read as the stage reads them (keyTextOfBytes with the topic's key format), so
 * a record lands on the partitions of the model that serves it.
 */
export function colocatedPartition(
  key: string | Uint8Array,
  stage: Pick<InferenceStageSpec, 'models' | 'defaultModel'>,
  partitions: number,
  keyFormat?: KeyFormat,
): number {
  const models = (stage.models ?? []).map((model) => model.id).sort();
  const text = typeof key === 'string' ? key : keyTextOfBytes(key, keyFormat);
  const modelId = (text === undefined ? undefined : stage.models?.find((model) => model.keys.includes(text))?.id) ?? stage.defaultModel;
  const index = modelId === undefined ? -1 : models.indexOf(modelId);
  if (index < 0 || models.length === 0) return partitionForKey(key, partitions);
  if (partitions < models.length) return index % partitions;
  const owned = Array.from({ length: Math.ceil((partitions - index) / models.length) }, (_, step) => index + step * models.length);
  return owned[partitionForKey(key, owned.length)] ?? index;
}

/** How records with a key are placed on `topic`: by model cohort when the topic declares `colocateFor`, else by key hash. */
export function topicPartitioner(spec: TopologySpec): (topic: string, key: string | Uint8Array, partitions: number) => number {
  const colocated = new Map<string, InferenceStageSpec>();
  for (const [topic, declaration] of Object.entries(spec.topics)) {
    const stage = spec.stages.find((candidate) => candidate.name === declaration.colocateFor);
    if (stage?.type === 'inference') colocated.set(topic, stage);
  }
  return (topic, key, partitions) => {
    const stage = colocated.get(topic);
    return stage === undefined ? partitionForKey(key, partitions) : colocatedPartition(key, stage, partitions, spec.topics[topic]?.key?.format);
  };
}
