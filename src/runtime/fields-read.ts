import { parseRecordPath } from '../inference/record-path.js';
import { sameEncoding, stageInputs, stageOutputs, type StageSpec, type TopologySpec } from '../topology/spec.js';

/**
 * The top-level fields of its input a stage reads, when that is all it needs: a router reads its
 * unit (and the request id field, if one is configured) and writes the input's bytes unchanged.
 * Decoding only these fields skips the rest of each record (feature arrays) without building it.
 *
 * Undefined, meaning "decode everything", whenever an output could be encoded again from the
 * decoded value (an arm topic encoded unlike the input): that value must then be whole.
 */
export function fieldsReadBy(topology: TopologySpec, stage: StageSpec): readonly string[] | undefined {
  if (stage.type !== 'router' || stage.unit === 'key') return undefined;
  const inputs = stageInputs(stage);
  const outputs = stageOutputs(stage);
  if (!inputs.every((input) => outputs.every((output) => sameEncoding(topology, input, output)))) return undefined;
  const fields = new Set<string>();
  for (const path of [stage.unit.field, ...(stage.requestId !== undefined && 'field' in stage.requestId ? [stage.requestId.field] : [])]) {
    const [top] = parseRecordPath(path);
    if (top === undefined || top === '') return undefined;
    fields.add(top);
  }
  return [...fields];
}
