import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, KascadeError } from '../../../src/errors.js';
import { deadLetterRecord, REDRIVE_COUNT_HEADER } from '../../../src/runtime/dead-letters/dead-letter.js';
import type { Headers, SourceRecord } from '../../../src/runtime/record.js';
import { checkTarget, decideRedrive, parseErrorCode, redriveCount, type DeadLetter, type RedriveDecision, type RedrivePolicy } from '../../../src/runtime/dead-letters/redrive.js';

const source: SourceRecord = {
  topic: 'shop.requests',
  partition: 2,
  offset: '41',
  key: Buffer.from('user-7'),
  value: Buffer.from('{"id":"r-1"}'),
  // In order, with a repeated name, bytes that are not UTF-8 and a null value: all carried as they are.
  headers: [
    ['x-trace', Buffer.from('abc')],
    ['kascade.request-id', Buffer.from('r-1')],
    ['x-trace', Buffer.from([0xc3, 0x28])],
    ['x-empty', null],
  ],
  timestamp: '1700000000000',
};

/** A dead letter as a stage writes it, read back as the redrive sees it (headers as Buffers). */
function deadLetterOf(record: SourceRecord, code: ErrorCode = ErrorCode.UnknownModelKey, stage = 'score', offset = '5'): DeadLetter {
  const written = deadLetterRecord(record, new KascadeError(code, 'no model'), stage, `${record.topic}.dlq`, new Date('2026-11-25T10:00:00Z'));
  return { partition: 0, offset, headers: bytes(written.headers) };
}

const policy = (overrides: Partial<RedrivePolicy> = {}): RedrivePolicy => ({ codes: new Set(), maxRedrives: 3, ...overrides });

function redriven(decision: RedriveDecision): RedriveDecision & { kind: 'redrive' } {
  assert.equal(decision.kind, 'redrive', JSON.stringify(decision));
  return decision;
}

/** Headers as bytes, in order: how they travel (and how a consumer reads them back). */
const bytes = (headers: Headers): Headers => headers.map(([name, value]) => [name, value === null || Buffer.isBuffer(value) ? value : Buffer.from(value)]);

test('a dead letter goes back to its source topic and partition with its own headers, no kascade.error.*, and count 1', () => {
  const decision = redriven(decideRedrive(deadLetterOf(source), policy()));
  assert.equal(decision.topic, 'shop.requests');
  assert.equal(decision.partition, 2);
  assert.equal(decision.code, ErrorCode.UnknownModelKey);
  assert.equal(decision.count, 1);
  assert.deepEqual(bytes(decision.headers), [...source.headers, [REDRIVE_COUNT_HEADER, Buffer.from('1')]]);
  // The original header bytes are handed on as they were read (Buffers, not text), in order.
  assert.deepEqual(decision.headers.slice(0, source.headers.length), source.headers);
});

test('with --to another topic it goes there partitioned by key; --to the source topic keeps the partition', () => {
  const elsewhere = redriven(decideRedrive(deadLetterOf(source), policy({ to: 'shop.requests.fixed' })));
  assert.equal(elsewhere.topic, 'shop.requests.fixed');
  assert.equal(elsewhere.partition, undefined);
  const same = redriven(decideRedrive(deadLetterOf(source), policy({ to: 'shop.requests' })));
  assert.equal(same.partition, 2);
});

test('the count grows across cycles (a redriven record that fails again carries it into the dead letter) until refused', () => {
  let record = source;
  const counts: number[] = [];
  for (let cycle = 0; cycle < 3; cycle++) {
    const decision = redriven(decideRedrive(deadLetterOf(record), policy()));
    counts.push(decision.count);
    // The stage reads the redriven record and dead-letters it again.
    record = { ...source, headers: decision.headers };
  }
  assert.deepEqual(counts, [1, 2, 3]);
  const fourth = decideRedrive(deadLetterOf(record), policy());
  assert.deepEqual(fourth, { kind: 'refuse', code: ErrorCode.UnknownModelKey, count: 3 });
  assert.equal(decideRedrive(deadLetterOf(record), policy({ maxRedrives: 4 })).kind, 'redrive');
});

test('filters select by error code and by stage; everything else is skipped', () => {
  const unknownKey = deadLetterOf(source, ErrorCode.UnknownModelKey, 'score');
  const decode = deadLetterOf(source, ErrorCode.DecodeFailed, 'parse');
  const codes = policy({ codes: new Set([ErrorCode.DecodeFailed]) });
  assert.equal(decideRedrive(unknownKey, codes).kind, 'skip');
  assert.equal(decideRedrive(decode, codes).kind, 'redrive');
  const stage = policy({ stage: 'score' });
  assert.equal(decideRedrive(unknownKey, stage).kind, 'redrive');
  assert.equal(decideRedrive(decode, stage).kind, 'skip');
  // A record past the limit but not selected is skipped, not refused.
  const tired: DeadLetter = { ...decode, headers: [...decode.headers, [REDRIVE_COUNT_HEADER, Buffer.from('9')]] };
  assert.equal(decideRedrive(tired, policy({ codes: new Set([ErrorCode.UnknownModelKey]) })).kind, 'skip');
});

test('a record without its source-topic header fails with the reason unless --to names a target', () => {
  const bare: DeadLetter = { partition: 1, offset: '9', headers: [['kascade.error.code', Buffer.from(ErrorCode.DecodeFailed)]] };
  const decision = decideRedrive(bare, policy());
  assert.equal(decision.kind, 'fail');
  assert.match(decision.reason, /no kascade\.error\.source\.topic header.*--to/);
  assert.equal(redriven(decideRedrive(bare, policy({ to: 'elsewhere' }))).topic, 'elsewhere');
  // Not written by a stage at all: no code either, so a code filter skips it.
  assert.equal(decideRedrive({ partition: 0, offset: '0', headers: [] }, policy({ codes: new Set([ErrorCode.DecodeFailed]) })).kind, 'skip');
});

test('the target is checked: missing topic, partition out of range, the dead-letter topic itself', () => {
  const decision = redriven(decideRedrive(deadLetterOf(source), policy()));
  assert.equal(checkTarget(decision, 3, 'shop.requests.dlq'), decision);
  assert.deepEqual(checkTarget(decision, undefined, 'shop.requests.dlq'), { kind: 'fail', code: decision.code, reason: 'target topic shop.requests does not exist' });
  assert.deepEqual(checkTarget(decision, 2, 'shop.requests.dlq'), {
    kind: 'fail',
    code: decision.code,
    reason: 'source partition 2 is beyond the 2 partitions of shop.requests',
  });
  assert.equal(checkTarget(decision, 3, 'shop.requests').kind, 'fail');
});

test('redrive counts that are not counts read as 0; error codes are accepted in full, short and kebab form', () => {
  assert.equal(redriveCount([[REDRIVE_COUNT_HEADER, Buffer.from('2')]]), 2);
  assert.equal(redriveCount([[REDRIVE_COUNT_HEADER, Buffer.from('two')]]), 0);
  assert.equal(redriveCount([]), 0);
  assert.equal(parseErrorCode('KASCADE_DECODE_FAILED'), ErrorCode.DecodeFailed);
  assert.equal(parseErrorCode('DECODE_FAILED'), ErrorCode.DecodeFailed);
  assert.equal(parseErrorCode('unknown-model-key'), ErrorCode.UnknownModelKey);
  assert.equal(parseErrorCode('DECODE'), undefined);
});
