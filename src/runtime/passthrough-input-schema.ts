import type avro from 'avsc';
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode, KascadeError } from '../errors.js';
import type { TopicSerdes } from '../serde/serde-factory.js';
import type { Logger } from '../telemetry/logger.js';
import { stageInputs, type InferenceStageSpec } from '../topology/spec.js';
import { formatPath } from '../topology/yaml-path.js';

/** How often the registry is asked again while an upstream stage of the topology has not registered its schema yet. */
const SCHEMA_POLL_MS = 1_000;
/** How often the wait is logged again. */
const WAIT_LOG_MS = 30_000;

export interface UpstreamSchemaWait {
  /** The stage of this topology that writes a topic, if any. */
  readonly writerOf: (topic: string) => string | undefined;
  /** Ends the wait (the stage is stopping). */
  readonly signal?: AbortSignal | undefined;
}

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
 *
 * An input written by a stage of the same topology run elsewhere (a cascade's first model, in its
 * own process) gets its schema when that stage starts: this stage waits for it, saying so, rather
 * than failing because it was started first.
 */
export async function passthroughInputSchema(stage: InferenceStageSpec, serdes: TopicSerdes, logger: Logger, upstream?: UpstreamSchemaWait): Promise<avro.schema.AvroSchema | undefined> {
  const input = stageInputs(stage)[0];
  if (input === undefined) return undefined;
  // With postprocess steps, or an output that is JSON or has its own schema file, the generated schema is written nowhere.
  const writesGeneratedSchema = (stage.postprocess ?? []).length === 0 && serdes.usesProvidedSchema(stage.output);
  if (stage.passthrough.length === 0 || !writesGeneratedSchema) return serdes.avroSchemaOf(input);
  const writer = upstream?.writerOf(input);
  let known = await serdes.knownAvroSchema(input);
  if (known?.source === 'unknown' && writer !== undefined && writer !== stage.name && upstream !== undefined) {
    known = await waitForUpstreamSchema(stage, input, writer, serdes, logger, upstream.signal);
  }
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

async function waitForUpstreamSchema(
  stage: InferenceStageSpec,
  input: string,
  writer: string,
  serdes: TopicSerdes,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<Awaited<ReturnType<TopicSerdes['knownAvroSchema']>>> {
  const started = Date.now();
  let logged = -WAIT_LOG_MS;
  for (;;) {
    const known = await serdes.knownAvroSchema(input);
    if (known?.source !== 'unknown' || signal?.aborted === true) return known;
    const waited = Date.now() - started;
    if (waited - logged >= WAIT_LOG_MS) {
      logged = waited;
      logger.info('waiting for the upstream stage to register its output schema (it does when it starts)', {
        stage: stage.name,
        topic: input,
        subject: known.subject,
        writtenBy: writer,
        waitedSeconds: Math.round(waited / 1000),
      });
    }
    await delay(SCHEMA_POLL_MS, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
  }
}
