import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError, KascadeError } from '../../src/errors.js';
import { headersOf, headerText, type Headers, type SourceRecord } from '../../src/runtime/record.js';
import { StageFailure, StagePipeline } from '../../src/runtime/stage-pipeline.js';
import type { StageHandler } from '../../src/runtime/stage-handler.js';
import { createJsonSerde } from '../../src/serde/json-serde.js';
import type { Serde } from '../../src/serde/serde.js';
import type { ErrorPolicy } from '../../src/topology/spec.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
const json = createJsonSerde();

/** Headers given by name are the list of them in that order. */
function source(offset: number, value: string | null, headers: Readonly<Record<string, string>> | Headers = []): SourceRecord {
  return {
    topic: 'in',
    partition: 2,
    offset: String(offset),
    key: Buffer.from(`k${offset}`),
    value: value === null ? null : Buffer.from(value),
    headers: Array.isArray(headers) ? (headers as Headers) : headersOf(headers as Readonly<Record<string, string>>),
    timestamp: '1700000000000',
  };
}

/** Doubles `n`; fails the record when `n` is negative. */
const doubler: StageHandler = {
  process: (records) =>
    Promise.resolve(
      records.map((record) => {
        const n = (record.value as { n: number }).n;
        return n < 0
          ? { error: new KascadeError(ErrorCode.TransformFailed, `negative: ${n}`) }
          : { outputs: [{ topic: 'out', key: record.keyBytes, value: { n: n * 2 }, headers: { 'x-handler': 'yes' } }] };
      }),
    ),
};

function pipeline(onError: ErrorPolicy = 'dlq', serdeFor: (topic: string) => Serde = () => json, handler: StageHandler = doubler) {
  return new StagePipeline({ stage: 'double', handler, serdeFor, keyDecoderFor: () => undefined, onError, deadLetterTopic: 'in.dlq', requestId: { field: 'id' }, clock });
}

test('the time a request entered the pipeline is its first record\'s timestamp, kept unchanged at later hops', async () => {
  const outcome = await pipeline().processBatch([source(1, '{"n":1}'), source(2, '{"n":2}', { 'kascade.origin.time': '1600000000000' })]);
  assert.deepEqual(
    outcome.outgoing.map((record) => headerText(record.headers, 'kascade.origin.time')),
    ['1700000000000', '1600000000000'],
  );
});

test('outputs carry lineage headers, the request id and the input headers; order follows the input', async () => {
  // The input's headers as bytes, in order, a name repeated, bytes that are not UTF-8 and a null value among them.
  const incoming: Headers = [
    ['traceparent', Buffer.from('00-abc-def-01')],
    ['x-arm', Buffer.from('b')],
    ['x-bytes', Buffer.from([0xff, 0x00, 0xc3])],
    ['x-arm', Buffer.from('c')],
    ['x-none', null],
  ];
  const outcome = await pipeline().processBatch([source(10, '{"n":1,"id":"req-a"}', incoming), source(11, '{"n":2}')]);
  assert.equal(outcome.outgoing.length, 2);
  const [first, second] = outcome.outgoing;
  assert.deepEqual(JSON.parse(String(first!.value)), { n: 2 });
  assert.deepEqual(first!.key, Buffer.from('k10'));
  assert.deepEqual(first!.headers, [
    ...incoming,
    ['kascade.origin.time', '1700000000000'],
    ['x-handler', 'yes'],
    ['kascade.source', 'in/2/10'],
    ['kascade.stage', 'double'],
    ['kascade.request-id', 'req-a'],
  ]);
  // No id field and no header: derived from the position, so a re-run gives the same id.
  assert.equal(headerText(second!.headers, 'kascade.request-id'), 'in/2/11');
});

test('a request id header from an earlier stage is carried on when the field is absent', async () => {
  const outcome = await pipeline().processBatch([source(1, '{"n":1}', { 'kascade.request-id': 'req-upstream' })]);
  assert.equal(headerText(outcome.outgoing[0]!.headers, 'kascade.request-id'), 'req-upstream');
});

test('undecodable and failing records become dead letters with the original bytes and the reason', async () => {
  const original: Headers = [
    ['origin', Buffer.from('x')],
    ['x-bytes', Buffer.from([0xff, 0x00])],
    ['origin', Buffer.from('y')],
    ['x-none', null],
  ];
  const outcome = await pipeline().processBatch([source(1, '{"n":1}'), source(2, 'not json', original), source(3, '{"n":-5}'), source(4, '{"n":3}')]);
  assert.deepEqual({ processed: outcome.processed, deadLettered: outcome.deadLettered, skipped: outcome.skipped }, { processed: 4, deadLettered: 2, skipped: 0 });
  assert.deepEqual(
    outcome.outgoing.map((record) => record.topic),
    ['out', 'in.dlq', 'in.dlq', 'out'],
  );
  const decodeFailure = outcome.outgoing[1]!;
  assert.equal(String(decodeFailure.value), 'not json');
  assert.deepEqual(decodeFailure.key, Buffer.from('k2'));
  // The original headers byte for byte, in order, repeats and null values included, beside the kascade.error.* ones.
  assert.deepEqual(
    decodeFailure.headers.filter(([name]) => !name.startsWith('kascade.error.')),
    original,
  );
  assert.equal(headerText(decodeFailure.headers, 'origin'), 'x');
  assert.equal(headerText(decodeFailure.headers, 'kascade.error.code'), 'KASCADE_DECODE_FAILED');
  assert.equal(headerText(decodeFailure.headers, 'kascade.error.stage'), 'double');
  assert.equal(headerText(decodeFailure.headers, 'kascade.error.source.topic'), 'in');
  assert.equal(headerText(decodeFailure.headers, 'kascade.error.source.partition'), '2');
  assert.equal(headerText(decodeFailure.headers, 'kascade.error.source.offset'), '2');
  assert.equal(headerText(decodeFailure.headers, 'kascade.error.time'), '2026-11-25T12:00:00.000Z');
  const transformFailure = outcome.outgoing[2]!;
  assert.equal(headerText(transformFailure.headers, 'kascade.error.code'), 'KASCADE_TRANSFORM_FAILED');
  assert.equal(headerText(transformFailure.headers, 'kascade.error.message'), 'negative: -5');
});

test('onError: skip drops bad records and counts them', async () => {
  const outcome = await pipeline('skip').processBatch([source(1, 'nope'), source(2, '{"n":4}')]);
  assert.deepEqual({ written: outcome.outgoing.length, skipped: outcome.skipped, deadLettered: outcome.deadLettered }, { written: 1, skipped: 1, deadLettered: 0 });
});

test('onError: fail stops the batch with the record position and writes nothing', async () => {
  await assert.rejects(pipeline('fail').processBatch([source(1, '{"n":1}'), source(7, '{"n":-1}')]), (error: unknown) => {
    assert.ok(error instanceof StageFailure);
    assert.equal(error.message, 'record in/2@7: negative: -1');
    assert.equal(error.code, ErrorCode.TransformFailed);
    return true;
  });
});

test('an output the output serde cannot encode dead-letters its input record', async () => {
  const handler: StageHandler = { process: (records) => Promise.resolve(records.map(() => ({ outputs: [{ topic: 'out', key: null, value: { big: 10n } }] }))) };
  const outcome = await pipeline('dlq', () => json, handler).processBatch([source(1, '{"n":1}')]);
  assert.equal(outcome.deadLettered, 1);
  assert.equal(headerText(outcome.outgoing[0]!.headers, 'kascade.error.code'), 'KASCADE_ENCODE_FAILED');
});

test('a systemic (retriable) serde error fails the whole batch so it is retried, never dead-lettered', async () => {
  const registryDown: Serde = {
    ...json,
    deserialize: () => Promise.reject(new KascadeError(ErrorCode.RegistryUnreachable, 'registry down', { retriable: true })),
  };
  await assert.rejects(
    pipeline('dlq', () => registryDown).processBatch([source(1, '{"n":1}')]),
    (error: unknown) => isKascadeError(error, ErrorCode.RegistryUnreachable) && error.retriable,
  );
});

test('an output marked unchanged keeps the input bytes when the topics encode alike, and is encoded again when they do not', async () => {
  const forward: StageHandler = {
    process: (records) =>
      Promise.resolve(
        records.map((record) => ({
          outputs: [
            { topic: 'alike', key: record.keyBytes, value: record.value, unchanged: true },
            { topic: 'other', key: record.keyBytes, value: record.value, unchanged: true },
            { topic: 'alike', key: record.keyBytes, value: record.value },
          ],
        })),
      ),
  };
  const written = '{ "n" : 1,   "id": "a" }';
  const outcome = await new StagePipeline({
    stage: 'route',
    handler: forward,
    serdeFor: () => json,
    keyDecoderFor: () => undefined,
    onError: 'dlq',
    deadLetterTopic: 'in.dlq',
    clock,
    sameEncoding: (from, to) => from === 'in' && to === 'alike',
  }).processBatch([source(1, written)]);
  assert.deepEqual(
    outcome.outgoing.map((record) => String(record.value)),
    [written, '{"n":1,"id":"a"}', '{"n":1,"id":"a"}'],
    'the bytes as they came only for an unchanged value on a topic that encodes alike',
  );
});
