import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { InferenceStageSpec, ModelRefSpec, TopologySpec } from './spec.js';
import { stageInputs, topicSpecOf } from './spec.js';
import type { LocatedProblem, YamlPath } from './yaml-path.js';

export interface InferenceCheckOptions {
  /** Absolute folder model paths are relative to and may not leave. */
  readonly modelsRoot: string;
  readonly fileExists: (path: string) => boolean;
}

/**
 * Rules for inference stages the shape cannot express: one of model / models, unique model ids
 * and keys, a default model that exists, model files present under the models root, and
 * colocation declared on a topic that the named keyed stage really reads.
 */
export function inferenceProblems(spec: TopologySpec, options: InferenceCheckOptions): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  spec.stages.forEach((stage, index) => {
    if (stage.type === 'inference') checkStage(stage, ['stages', index], options, problems, spec);
  });
  for (const [topic, declaration] of Object.entries(spec.topics)) {
    if (declaration.colocateFor === undefined) continue;
    const path: YamlPath = ['topics', topic, 'colocateFor'];
    const stage = spec.stages.find((candidate) => candidate.name === declaration.colocateFor);
    if (stage?.type !== 'inference' || stage.models === undefined) {
      problems.push({ path, message: `"${declaration.colocateFor}" is not a keyed inference stage (one with models:)` });
    } else if (!stageInputs(stage).includes(topic)) {
      problems.push({ path, message: `stage "${stage.name}" does not read this topic` });
    }
  }
  return problems;
}

function checkStage(stage: InferenceStageSpec, at: YamlPath, options: InferenceCheckOptions, problems: LocatedProblem[], spec: TopologySpec): void {
  const output = topicSpecOf(spec, stage.output);
  if (stage.postprocess !== undefined && output.format === 'avro' && output.schema === undefined) {
    problems.push({
      path: [...at, 'postprocess'],
      message: `output topic "${stage.output}" is Avro: after postprocess its records are no longer predictions, so the topic needs a schema: file (or format: json)`,
    });
  }
  if ((stage.model === undefined) === (stage.models === undefined)) {
    problems.push({ path: at, message: 'give exactly one of model (one model) or models (models by key)' });
    return;
  }
  if (stage.model !== undefined) {
    checkModelFile(stage.model, [...at, 'model', 'path'], options, problems);
    for (const key of ['modelKey', 'defaultModel', 'maxModelsPerWorker'] as const) {
      if (stage[key] !== undefined) problems.push({ path: [...at, key], message: 'only applies to keyed stages (models:)' });
    }
    return;
  }
  const models = stage.models ?? [];
  const owners = new Map<string, string>();
  const ids = new Set<string>();
  models.forEach((model, index) => {
    const path: YamlPath = [...at, 'models', index];
    if (ids.has(model.id)) problems.push({ path: [...path, 'id'], message: `duplicate model id "${model.id}"` });
    ids.add(model.id);
    for (const key of model.keys) {
      const owner = owners.get(key);
      if (owner !== undefined && owner !== model.id) problems.push({ path: [...path, 'keys'], message: `key "${key}" is also mapped to model "${owner}"` });
      owners.set(key, model.id);
    }
    checkModelFile(model, [...path, 'path'], options, problems);
  });
  if (stage.defaultModel !== undefined && !ids.has(stage.defaultModel)) {
    problems.push({ path: [...at, 'defaultModel'], message: `no model with id "${stage.defaultModel}" (models: ${[...ids].join(', ')})` });
  }
}

function checkModelFile(model: ModelRefSpec, path: YamlPath, options: InferenceCheckOptions, problems: LocatedProblem[]): void {
  const file = resolve(options.modelsRoot, model.path);
  const rest = relative(options.modelsRoot, file);
  if (isAbsolute(model.path) || rest === '' || rest === '..' || rest.startsWith(`..${sep}`) || isAbsolute(rest)) {
    problems.push({ path, message: `model file is outside the models root ${options.modelsRoot}: ${model.path}` });
  } else if (!options.fileExists(file)) {
    problems.push({ path, message: `model file not found: ${model.path} (models root ${options.modelsRoot})` });
  }
}
