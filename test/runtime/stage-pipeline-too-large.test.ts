import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, KascadeError } from '../../src/errors.js';
import { headerText, type OutgoingRecord, type SourceRecord } from '../../src/runtime/record.js';
import type { StageHandler } from '../../src/runtime/stage-handler.js';
import { StageFailure, StagePipeline } from '../../src/runtime/stage-pipeline.js';
import { createJsonSerde } from '../../src/serde/json-serde.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import type { ErrorPolicy } from '../../src/topology/spec.js';

const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
const json = createJsonSerde();

function source(offset: number, text: string): SourceRecord {
  return { topic: 'in', partition: 1, offset: String(offset), key: Buffer.from(`k${String(offset)}`), value: Buffer.from(JSON.stringify({ text })), headers: [['origin', 'test']], timestamp: '1700000000000' };
}

/** Writes the input's text to `out`, and a short note to `audit`: two outputs per record. */
const copier: StageHandler = {
  process: (records) =>
    Promise.resolve(
      records.map((record) => ({
        outputs: [
          { topic: 'out', key: record.keyBytes, value: record.value },
          { topic: 'audit', key: record.keyBytes, value: { seen: true } },
        ],
      })),
    ),
};

/** Topics accept values up to `limits[topic]` bytes (a stand-in for max.message.bytes). */
function tooLargeFor(limits: Readonly<Record<string, number>>): (record: OutgoingRecord) => KascadeError | undefined {
  return (record) => {
    const limit = limits[record.topic];
    const size = record.value?.length ?? 0;
    return limit !== undefined && size > limit ? new KascadeError(ErrorCode.RecordTooLarge, `output to topic "${record.topic}" is ${String(size)} bytes, over ${String(limit)}`) : undefined;
  };
}

function pipeline(limits: Readonly<Record<string, number>>, onError: ErrorPolicy = 'dlq'): StagePipeline {
  return new StagePipeline({ stage: 'copy', handler: copier, serdeFor: () => json, keyDecoderFor: () => undefined, onError, deadLetterTopic: 'in.dlq', clock, tooLarge: tooLargeFor(limits) });
}

test('an output too large for its topic dead-letters its input (none of its outputs are written); the rest of the batch is written in order', async () => {
  const big = 'x'.repeat(5000);
  const sources = [source(1, 'a'), source(2, big), source(3, 'c')];
  const outcome = await pipeline({ out: 1000 }).processBatch(sources);
  assert.deepEqual({ processed: outcome.processed, deadLettered: outcome.deadLettered, skipped: outcome.skipped }, { processed: 3, deadLettered: 1, skipped: 0 });
  assert.deepEqual(
    outcome.outgoing.map((record) => `${record.topic}:${String(record.key)}`),
    ['out:k1', 'audit:k1', 'in.dlq:k2', 'out:k3', 'audit:k3'],
  );
  const deadLetter = outcome.outgoing[2]!;
  assert.equal(headerText(deadLetter.headers, 'kascade.error.code'), 'KASCADE_RECORD_TOO_LARGE');
  assert.equal(headerText(deadLetter.headers, 'kascade.error.message'), 'output to topic "out" is 5011 bytes, over 1000');
  assert.equal(headerText(deadLetter.headers, 'kascade.error.source.offset'), '2');
  assert.deepEqual(
    deadLetter.headers.filter(([name]) => !name.startsWith('kascade.error.')),
    sources[1]!.headers,
    'the original headers',
  );
  assert.deepEqual(deadLetter.value, sources[1]!.value, 'the original bytes');
});

test('under onError: skip an oversized output drops its input and counts it', async () => {
  const outcome = await pipeline({ out: 1000 }, 'skip').processBatch([source(1, 'x'.repeat(5000)), source(2, 'b')]);
  assert.deepEqual({ deadLettered: outcome.deadLettered, skipped: outcome.skipped, written: outcome.outgoing.length }, { deadLettered: 0, skipped: 1, written: 2 });
});

test('a dead letter too large for the dead-letter topic stops the stage with a StageFailure saying so (the broker would refuse the batch on every retry)', async () => {
  await assert.rejects(pipeline({ out: 1000, 'in.dlq': 2000 }).processBatch([source(1, 'a'), source(7, 'x'.repeat(5000))]), (error: unknown) => {
    assert.ok(error instanceof StageFailure);
    assert.equal(error.code, ErrorCode.RecordTooLarge);
    assert.equal(error.source.offset, '7');
    assert.equal(error.message, 'record in/1@7: its dead letter (KASCADE_RECORD_TOO_LARGE) cannot be written: output to topic "in.dlq" is 5011 bytes, over 2000');
    return true;
  });
});
