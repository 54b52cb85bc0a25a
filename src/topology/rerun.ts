import { KascadeError, ErrorCode } from '../errors.js';
import { deadLetterTopicOf, stageOutputs, topicSpecOf, type StageSpec, type TopologySpec } from './spec.js';

export interface RerunOptions {
  readonly stage: string;
  /** The consumer group of the re-run: a fresh one, so production offsets are never touched. */
  readonly group: string;
  /** Appended to every topic the stage writes (outputs and dead letters), e.g. `.rerun-1`. */
  readonly outputSuffix?: string | undefined;
}

/**
 * The topology with one stage set up for an experiment: its own consumer group, and (with a
 * suffix) its own output and dead-letter topics declared like the originals, so a re-run never
 * writes where production writes.
 */
export function rerunTopology(spec: TopologySpec, options: RerunOptions): TopologySpec {
  const stage = spec.stages.find((candidate) => candidate.name === options.stage);
  if (stage === undefined) throw new KascadeError(ErrorCode.ConfigInvalid, `no stage "${options.stage}" (stages: ${spec.stages.map((candidate) => candidate.name).join(', ')})`);
  const suffix = options.outputSuffix ?? '';
  if (suffix !== '' && !/^[A-Za-z0-9._-]+$/.test(suffix)) throw new KascadeError(ErrorCode.ConfigInvalid, `output suffix "${suffix}" may only hold letters, digits, ".", "_", "-"`);
  const rename = (topic: string): string => `${topic}${suffix}`;
  const written = [...stageOutputs(stage), deadLetterTopicOf(stage)];
  const topics = { ...spec.topics };
  if (suffix !== '') {
    // The copies keep format, schema and partitions; they are written here, so not external.
    for (const topic of written) topics[rename(topic)] = { ...topicSpecOf(spec, topic), external: false };
  }
  const rerun: StageSpec = suffix === '' ? { ...stage, group: options.group } : { ...renameOutputs(stage, rename), group: options.group, deadLetterTopic: rename(deadLetterTopicOf(stage)) };
  return { ...spec, topics, stages: spec.stages.map((candidate) => (candidate === stage ? rerun : candidate)) };
}

function renameOutputs(stage: StageSpec, rename: (topic: string) => string): StageSpec {
  switch (stage.type) {
    case 'router':
      return {
        ...stage,
        arms: stage.arms.map((arm) => ({ ...arm, output: rename(arm.output) })),
        ...(stage.mirror === undefined ? {} : { mirror: { ...stage.mirror, output: rename(stage.mirror.output) } }),
      };
    case 'inference':
    case 'transform':
      return { ...stage, output: rename(stage.output) };
  }
}
