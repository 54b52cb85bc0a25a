import type { StageSpec, TopologySpec } from '../../src/topology/spec.js';

/**
 * An example topology made private to one test run: every topic becomes `<run>.<topic>` and the
 * topology `<name>-<run>` (so consumer groups are new), leaving models, schemas and options as
 * they are. Lets the integration tests run the files users read, not look-alike fixtures.
 */
export function isolatedTopology(spec: TopologySpec, run: string): TopologySpec {
  const rename = (topic: string): string => `${run}.${topic}`;
  return {
    ...spec,
    name: `${spec.name}-${run}`,
    topics: Object.fromEntries(Object.entries(spec.topics).map(([topic, declaration]) => [rename(topic), declaration])),
    stages: spec.stages.map((stage) => renameStageTopics(stage, rename)),
  };
}

function renameStageTopics(stage: StageSpec, rename: (topic: string) => string): StageSpec {
  const common = {
    input: Array.isArray(stage.input) ? stage.input.map(rename) : rename(stage.input),
    ...(stage.deadLetterTopic === undefined ? {} : { deadLetterTopic: rename(stage.deadLetterTopic) }),
  };
  switch (stage.type) {
    case 'router':
      return {
        ...stage,
        ...common,
        arms: stage.arms.map((arm) => ({ ...arm, output: rename(arm.output) })),
        ...(stage.mirror === undefined ? {} : { mirror: { ...stage.mirror, output: rename(stage.mirror.output) } }),
      };
    case 'inference':
    case 'transform':
      return { ...stage, ...common, output: rename(stage.output) };
  }
}
