import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadLetterHeader } from '../../src/runtime/dead-letters/dead-letter.js';
import { LineageHeader } from '../../src/runtime/lineage.js';
import { headerText, type Headers } from '../../src/runtime/record.js';
import { ExperimentHeader } from '../../src/routing/experiment-headers.js';
import type { TopologyInput } from '../../src/topology/spec.js';
import { featuresFor } from './ctr-model.js';

/**
 * The whole input surface of a stage, as other teams' producers can write it: any key bytes
 * (null, empty, not UTF-8, Confluent-framed), any header list (null values, binary values,
 * repeated and empty names), any value bytes, timestamps at the edges. Shared by the in-memory
 * property test and the real-broker one, which check the same thing: every record ends in the
 * stage's output or its dead-letter topic exactly once, with its key and headers byte-identical.
 */

/** The stage kinds under test and the input topic each reads. */
export type StageKind = 'transform' | 'router' | 'inference';

export const STAGE_KINDS: readonly StageKind[] = ['transform', 'router', 'inference'];

/** A topology with one stage of each kind, each on its own input topic; `prefix` keeps runs apart. */
export function surfaceTopology(prefix: string): TopologyInput {
  const t = (name: string): string => `${prefix}${name}`;
  return {
    name: `surface-${prefix.replaceAll('.', '-') || 'memory'}`,
    topics: {
      [t('transform-in')]: { partitions: 3, external: true },
      [t('transform-out')]: { partitions: 4 },
      [t('router-in')]: { partitions: 3, external: true },
      [t('arm-a')]: { partitions: 2 },
      [t('arm-b')]: { partitions: 2 },
      [t('inference-in')]: { partitions: 3, external: true },
      [t('scores')]: { partitions: 2 },
    },
    stages: [
      { name: 'wrap', type: 'transform', input: t('transform-in'), function: 'wrap', output: t('transform-out'), consumer: { sessionTimeoutMs: 6000 } },
      {
        name: 'split',
        type: 'router',
        input: t('router-in'),
        experiment: 'surface',
        arms: [
          { name: 'a', weight: 1, output: t('arm-a') },
          { name: 'b', weight: 2, output: t('arm-b') },
        ],
        consumer: { sessionTimeoutMs: 6000 },
      },
      {
        name: 'score',
        type: 'inference',
        input: t('inference-in'),
        model: { id: 'ctr-logreg', path: 'ctr-logreg.onnx' },
        inputs: { features: { field: 'features' } },
        outputs: { probability: { output: 'probability' } },
        consumer: { sessionTimeoutMs: 6000 },
        output: t('scores'),
      },
    ],
  };
}

/** Where each stage kind reads and writes, in a topology made by surfaceTopology(prefix). */
export function surfaceTopics(prefix: string, kind: StageKind): { readonly input: string; readonly outputs: readonly string[] } {
  const t = (name: string): string => `${prefix}${name}`;
  switch (kind) {
    case 'transform':
      return { input: t('transform-in'), outputs: [t('transform-out')] };
    case 'router':
      return { input: t('router-in'), outputs: [t('arm-a'), t('arm-b')] };
    case 'inference':
      return { input: t('inference-in'), outputs: [t('scores')] };
  }
}

/** One output per input, whatever the value: an echo would filter null and explode arrays. */
export const wrap = (value: unknown): unknown => ({ wrapped: value });

export interface SurfaceRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly timestamp: string;
}

const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));

/** A Confluent frame (magic byte, schema id, body) of random content: what an Avro key from Python looks like to a stage that did not declare it. */
const framed = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), bytes(12)).map(([id, body]) => {
  const frame = Buffer.alloc(5 + body.length);
  frame.writeInt32BE(id, 1);
  body.copy(frame, 5);
  return frame;
});

const keyArbitrary: fc.Arbitrary<Buffer | null> = fc.oneof(
  fc.constant(null),
  fc.constant(Buffer.alloc(0)),
  bytes(24),
  framed,
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => Buffer.from(text, 'utf8')),
);

/**
 * Header names: Kafka's are strings (UTF-8 on the wire). kascade's own names are left out here
 * because a hop replaces them by design (tested on their own).
 */
const headerName = fc.oneof(
  fc.constantFrom('', 'x', 'trace', 'x-null', 'traceparent'),
  fc.string({ unit: 'grapheme', maxLength: 10 }).filter((name) => !name.startsWith('kascade.')),
);
const headerValue: fc.Arbitrary<Buffer | null> = fc.oneof(fc.constant(null), bytes(24), fc.string({ maxLength: 16 }).map((text) => Buffer.from(text)));
const headersArbitrary: fc.Arbitrary<Headers> = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 });

/** Values a stage can handle, mixed with ones it cannot: random bytes, tombstones, empty values, JSON of the wrong shape. */
function valueArbitrary(kind: StageKind): fc.Arbitrary<Buffer | null> {
  const good =
    kind === 'inference'
      ? fc.nat({ max: 10_000 }).map((index) => Buffer.from(JSON.stringify({ id: `f${index}`, features: featuresFor(index) })))
      : fc.json({ maxDepth: 2 }).map((text) => Buffer.from(text));
  return fc.oneof(
    { arbitrary: good, weight: 4 },
    { arbitrary: bytes(40), weight: 1 },
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: fc.constant(Buffer.alloc(0)), weight: 1 },
    { arbitrary: fc.json({ maxDepth: 1 }).map((text) => Buffer.from(text)), weight: 1 },
  );
}

/** Timestamps at the edges of what producers write, and ordinary ones. */
export function timestampArbitrary(allowNegative: boolean): fc.Arbitrary<string> {
  const edges = ['0', '1', String(2 ** 31), String(Number.MAX_SAFE_INTEGER), '8640000000000001', ...(allowNegative ? ['-1', '-8640000000000001'] : [])];
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }).map(String));
}

export function recordArbitrary(kind: StageKind, timestamps: fc.Arbitrary<string>): fc.Arbitrary<SurfaceRecord> {
  return fc.record({ key: keyArbitrary, value: valueArbitrary(kind), headers: headersArbitrary, timestamp: timestamps });
}

/** A record as stored in a topic: where it is, and what it holds. */
export interface StoredRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly keyBytes: Buffer | null;
  readonly headerList: Headers;
}

/** Headers a hop writes itself. Trace context is carried as it came while no tracing SDK records spans (as here). */
const OWN_HEADERS = new Set<string>(
  [...Object.values(LineageHeader), ...Object.values(ExperimentHeader)].filter((name) => name !== LineageHeader.traceparent && name !== LineageHeader.tracestate),
);

/** `topic/partition/offset` of the input an output or dead letter came from. */
function origin(record: StoredRecord): string | undefined {
  const source = headerText(record.headerList, LineageHeader.source);
  if (source !== undefined) return source;
  const topic = headerText(record.headerList, DeadLetterHeader.sourceTopic);
  const partition = headerText(record.headerList, DeadLetterHeader.sourcePartition);
  const offset = headerText(record.headerList, DeadLetterHeader.sourceOffset);
  return topic === undefined ? undefined : `${topic}/${partition ?? '?'}/${offset ?? '?'}`;
}

/**
 * Every input in exactly one place (output or dead letter), with its key bytes and its own
 * headers (in order, repeats and nulls) as they were. Returns how many went each way.
 */
export function assertEachInputOnce(inputs: readonly StoredRecord[], outputs: readonly StoredRecord[], deadLetters: readonly StoredRecord[]): { written: number; deadLettered: number } {
  const found = new Map<string, { record: StoredRecord; dead: boolean }[]>();
  for (const [records, dead] of [[outputs, false], [deadLetters, true]] as const) {
    for (const record of records) {
      const from = origin(record);
      assert.ok(from !== undefined, `a record on ${record.topic} says nothing of where it came from`);
      found.set(from, [...(found.get(from) ?? []), { record, dead }]);
    }
  }
  let deadLettered = 0;
  for (const input of inputs) {
    const position = `${input.topic}/${input.partition}/${input.offset}`;
    const places = found.get(position) ?? [];
    assert.equal(places.length, 1, `input ${position} (key ${input.keyBytes?.toString('hex') ?? 'null'}) ended in ${places.length} places`);
    const [{ record, dead }] = places as [{ record: StoredRecord; dead: boolean }];
    if (dead) deadLettered++;
    assert.deepEqual(record.keyBytes, input.keyBytes, `${position}: key bytes`);
    const own = dead ? (name: string) => name.startsWith('kascade.error.') : (name: string) => OWN_HEADERS.has(name);
    assert.deepEqual(
      record.headerList.filter(([name]) => !own(name)).map(([name, value]) => [name, value === null ? null : Buffer.from(value)]),
      input.headerList.map(([name, value]) => [name, value === null ? null : Buffer.from(value)]),
      `${position}: headers`,
    );
    found.delete(position);
  }
  assert.deepEqual([...found.keys()], [], 'outputs or dead letters of no input');
  return { written: inputs.length - deadLettered, deadLettered };
}
