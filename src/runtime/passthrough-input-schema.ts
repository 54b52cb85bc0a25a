import type avro from 'avsc';
import { ErrorCode, KascadeError } from '../errors.js';
import type { TopicSerdes } from '../serde/serde-factory.js';
import type { Logger } from '../telemetry/logger.js';
import { stageInputs, type InferenceStageSpec } from '../topology/spec.js';
import { formatPath } from '../topology/yaml-path.js';

/**
 * The schema an inference stage's passthrough fields take their types from in the prediction
 * schema kascade generates: the (first) input topic's, from its `schema:` file, else from the
 * latest version registered under `<input>-value` when the stage starts.
 *
 * When the predictions are written with that generated schema and the input is Avro but its
 * schema cannot be known (no file, nothing registered yet), the stage does not start. Guessing a
 * type is silent data corruption (an int written as a double, a timestamp as a float) or a
 * dead-letter topic full of every record with a decimal, array, map or record field; the message
 * says how to fix it instead. JSON input has no types to keep: its fields get the nullable-scalar
 * union (prediction-schema.ts).
 */
export async function passthroughInputSchema(stage: InferenceStageSpec, serdes: TopicSerdes, logger: Logger): Promise<avro.schema.AvroSchema | undefined> {
  const input = stageInputs(stage)[0];
  if (input === undefined) return undefined;
  // With postprocess steps, or an output that is JSON or has its own schema file, the generated schema is written nowhere.
  const writesGeneratedSchema = (stage.postprocess ?? []).length === 0 && serdes.usesProvidedSchema(stage.output);
  if (stage.passthrough.length === 0 || !writesGeneratedSchema) return serdes.avroSchemaOf(input);
  const known = await serdes.knownAvroSchema(input);
  switch (known?.source) {
    case undefined:
      return undefined;
    case 'declared':
      return known.schema;
    case 'registry':
      logger.info('passthrough field types from the schema registry', { stage: stage.name, topic: input, subject: known.subject, version: known.version, schemaId: known.id });
      return known.schema;
    case 'unknown':
      throw new KascadeError(
        ErrorCode.ConfigInvalid,
        `stage ${stage.name}: its predictions copy ${stage.passthrough.join(', ')} from input topic "${input}" with their Avro types, ` +
          `but that topic's schema is unknown: the topology declares no schema: file for it and nothing is registered under subject "${known.subject}" yet. ` +
          `Declare ${formatPath(['topics', input, 'schema'])} (the producers' .avsc file), or register the producers' schema under "${known.subject}", then start the stage again`,
      );
  }
}
