import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { runTopology } from '../../src/kafka/topology-runner.js';
import { onnxRunner } from '../../src/runtime/stage-handlers.js';
import { createHttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../../src/serde/serde-factory.js';
import { jsonLogger } from '../../src/telemetry/logger.js';
import { consumerGroupOf, Topology } from '../../src/topology/spec.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { assertEachInputOnce, recordArbitrary, STAGE_KINDS, surfaceTopics, surfaceTopology, wrap, type StoredRecord } from '../../test/helpers/input-surface.js';
import { waitForGroupCaughtUp } from './group-progress.js';
import { connection } from './kafka.js';
import { produceRaw } from './raw-produce.js';
import { readAll } from './read-topic.js';

/** Timestamps a broker takes (it refuses those far in the future): the epoch, -1 (none), and ordinary past times. */
const brokerTimestamps = fc.oneof(fc.constantFrom('0', '1', '-1', String(2 ** 31)), fc.integer({ min: 1_600_000_000_000, max: 1_750_000_000_000 }).map(String));

/** Every record of `topic`, as the verifier compares them. */
async function stored(kafka: Kafka, topic: string): Promise<StoredRecord[]> {
  return (await readAll(kafka, topic)).map((record) => ({ ...record, topic }));
}

/**
 * `perKind` generated records (test/helpers/input-surface.ts) through a real-broker stage of each
 * kind, running in this process: each ends in the output or the dead-letter topic exactly once,
 * key and headers byte-identical, and no stage exits.
 */
export async function inputSurfaceOnBroker(kafka: Kafka, perKind: number, seed: number): Promise<string> {
  const prefix = `surface${randomUUID().slice(0, 8)}.`;
  const spec = Topology.parse({ ...surfaceTopology(prefix), modelsRoot: 'models' });
  const logs: string[] = [];
  const running = await runTopology({
    spec,
    connection,
    serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir: process.cwd() }),
    plugins: { transforms: new TransformRegistry().register('wrap', wrap), createModelRunner: onnxRunner },
    logger: jsonLogger('warn', {}, (line) => logs.push(line)),
    modelsRoot: 'models',
  });
  const summary: string[] = [];
  try {
    for (const [index, kind] of STAGE_KINDS.entries()) {
      const records = fc.sample(recordArbitrary(kind, brokerTimestamps), { numRuns: perKind, seed: seed + index });
      const { input, outputs } = surfaceTopics(prefix, kind);
      await produceRaw(input, records);
      const stage = spec.stages[index];
      assert.ok(stage !== undefined);
      await waitForGroupCaughtUp(kafka, consumerGroupOf(spec, stage), input);
      const inputs = await stored(kafka, input);
      assert.equal(inputs.length, records.length, `${input}: every generated record was written`);
      const written = (await Promise.all(outputs.map((topic) => stored(kafka, topic)))).flat();
      const { deadLettered } = assertEachInputOnce(inputs, written, await stored(kafka, `${input}.dlq`));
      summary.push(`${kind}: ${inputs.length - deadLettered} written, ${deadLettered} dead-lettered`);
    }
    const exited = await Promise.race([running.firstExit, Promise.resolve(undefined)]);
    assert.equal(exited, undefined, `a stage exited: ${JSON.stringify(exited)}\n${logs.slice(-20).join('\n')}`);
  } finally {
    await running.stop();
  }
  return summary.join('; ');
}
