import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { TopologyTestDriver, type TestOutput } from '../../src/testing/index.js';
import { Topology } from '../../src/topology/spec.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import { assertEachInputOnce, recordArbitrary, STAGE_KINDS, surfaceTopics, surfaceTopology, timestampArbitrary, wrap, type StoredRecord } from './input-surface.js';

const modelsRoot = fileURLToPath(new URL('../../models/', import.meta.url));

/**
 * Registers the in-memory input-surface property, one test per stage kind: `runs` generated
 * batches each go through the in-memory driver (the same pipeline a Kafka stage runs), and every
 * record must end in the output or the dead-letter topic exactly once, key and headers
 * byte-identical, without the driver ever throwing. KASCADE_PROPERTY_SEED reproduces a run.
 */
export function inMemoryInputSurface(runs: number): void {
  const driver = new TopologyTestDriver(Topology.parse(surfaceTopology('')), {
    plugins: { transforms: new TransformRegistry().register('wrap', wrap) },
    modelsRoot,
    maxBatchSize: 7,
  });
  after(() => driver.close());

  const seen = new Set<string>();
  /** Records of `topic` not returned by an earlier call. */
  const fresh = (topic: string): StoredRecord[] =>
    driver
      .readRaw(topic)
      .filter((record: TestOutput) => {
        const position = `${record.topic}/${record.partition}/${record.offset}`;
        if (seen.has(position)) return false;
        seen.add(position);
        return true;
      })
      .map((record) => ({ ...record, offset: String(record.offset) }));

  for (const kind of STAGE_KINDS) {
    test(`${kind} stage: any key, headers, value and timestamp end in the output or the dead-letter topic exactly once, byte for byte`, async (context) => {
      const { input, outputs } = surfaceTopics('', kind);
      const seed = Number(process.env['KASCADE_PROPERTY_SEED'] ?? Date.now() % 2 ** 31);
      context.diagnostic(`seed ${seed}, ${runs} runs`);
      await fc.assert(
        fc.asyncProperty(fc.array(recordArbitrary(kind, timestampArbitrary(true)), { minLength: 1, maxLength: 25 }), async (records) => {
          await driver.pipeRaw(input, records);
          const stored = fresh(input);
          if (stored.length !== records.length) throw new Error(`${records.length} records piped, ${stored.length} stored`);
          assertEachInputOnce(
            stored,
            outputs.flatMap((topic) => fresh(topic)),
            fresh(`${input}.dlq`),
          );
        }),
        { numRuns: runs, seed },
      );
    });
  }
}
