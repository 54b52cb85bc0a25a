import { quoteAt, rawOrValue, type Provenance } from './provenance.js';
import { stageInputs, topicSpecOf, type InferenceStageSpec, type TopologySpec } from './spec.js';
import { formatPath, type LocatedProblem, type YamlPath } from './yaml-path.js';

/**
 * Warnings, not problems: what the topology alone cannot settle but the schema registry may when
 * a stage starts. An inference stage copies passthrough fields into predictions with their Avro
 * types; when its input topic is Avro without a `schema:` file (and no stage of the topology
 * generates that topic's schema), the types come from the schema registered under
 * `<input>-value` at start, and the stage does not start while nothing is registered there
 * (runtime/passthrough-input-schema.ts).
 */
export function passthroughWarnings(spec: TopologySpec, provenance: Provenance): LocatedProblem[] {
  const warnings: LocatedProblem[] = [];
  spec.stages.forEach((stage, index) => {
    if (stage.type !== 'inference' || stage.passthrough.length === 0 || !writesGeneratedSchema(spec, stage)) return;
    const input = stageInputs(stage)[0];
    if (input === undefined) return;
    const declaration = topicSpecOf(spec, input);
    if (declaration.format !== 'avro' || declaration.schema !== undefined) return;
    // Written by a stage of this topology with its generated schema: known when that stage starts.
    if (spec.stages.some((other) => other.type === 'inference' && other.output === input && writesGeneratedSchema(spec, other))) return;
    const inputPath: YamlPath = typeof stage.input === 'string' ? ['stages', index, 'input'] : ['stages', index, 'input', 0];
    const shown = rawOrValue(inputPath, input, provenance);
    warnings.push({
      path: ['stages', index, 'passthrough'],
      message:
        `stage ${quoteAt(['stages', index, 'name'], stage.name, provenance)} copies passthrough fields from input topic ${JSON.stringify(shown)}, which is Avro without a schema: file; ` +
        `their types will come from the schema registered under subject ${JSON.stringify(`${shown}-value`)} when the stage starts, and the stage will not start while nothing is registered there. ` +
        `Declare ${formatPath(['topics', shown, 'schema'])} (the producers' .avsc file) to fix them in the topology instead`,
    });
  });
  return warnings;
}

/** Whether the stage's predictions are written with the schema kascade generates: Avro output without a schema file, no postprocess. */
function writesGeneratedSchema(spec: TopologySpec, stage: InferenceStageSpec): boolean {
  const output = topicSpecOf(spec, stage.output);
  return output.format === 'avro' && output.schema === undefined && (stage.postprocess ?? []).length === 0;
}
