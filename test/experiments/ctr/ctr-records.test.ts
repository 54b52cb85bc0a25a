import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clickOf, impressionOf, REQUEST_ID_HEADER, type ReadRecord } from '../../../src/experiments/ctr/ctr-records.js';
import { ExperimentHeader } from '../../../src/routing/experiment-headers.js';
import { LineageHeader } from '../../../src/runtime/lineage.js';

const T = Date.UTC(2024, 4, 1);

function record(headers: ReadRecord['headers'] = [], key: string | null = null): ReadRecord {
  return { topic: 't', partition: 0, offset: '0', timestamp: T, key: key === null ? null : Buffer.from(key), headers };
}

test('the request id header is the one the runtime writes', () => {
  assert.equal(REQUEST_ID_HEADER, LineageHeader.requestId);
});

test('impressions: request id from the value, else the header; unit from kascade.unit, else the key, else the request id', () => {
  assert.deepEqual(impressionOf(record([[ExperimentHeader.unit, Buffer.from('user-1')]], 'key-1'), { requestId: 'r1' }, 'champion'), {
    impression: { requestId: 'r1', arm: 'champion', unit: 'user-1', time: T },
  });
  assert.deepEqual(impressionOf(record([[REQUEST_ID_HEADER, Buffer.from('r2')]], 'key-1'), { other: 1 }, 'champion'), {
    impression: { requestId: 'r2', arm: 'champion', unit: 'key-1', time: T },
  });
  assert.deepEqual(impressionOf(record(), { requestId: 42 }, 'champion'), { impression: { requestId: '42', arm: 'champion', unit: '42', time: T } });
  assert.deepEqual(impressionOf(record(), { requestId: '' }, 'champion'), { skipped: 'no-request-id' });
  assert.deepEqual(impressionOf(record(), 'just text', 'champion'), { skipped: 'no-request-id' });
});

test('impressions are timed by event time like clicks: the timestamp field, else the Kafka timestamp', () => {
  const at = Date.UTC(2024, 3, 28, 9);
  assert.deepEqual(impressionOf(record(), { requestId: 'r', timestamp: at }, 'champion'), { impression: { requestId: 'r', arm: 'champion', unit: 'r', time: at } });
  assert.deepEqual(impressionOf(record(), { requestId: 'r', timestamp: new Date(at).toISOString() }, 'champion'), {
    impression: { requestId: 'r', arm: 'champion', unit: 'r', time: at },
  });
  assert.deepEqual(impressionOf(record(), { requestId: 'r', timestamp: 'unknown' }, 'champion'), { impression: { requestId: 'r', arm: 'champion', unit: 'r', time: T } });
});

test('impressions of a shared topic take their arm from kascade.arm (repeated headers: the first value)', () => {
  const shared = record([
    [ExperimentHeader.arm, Buffer.from('challenger')],
    [ExperimentHeader.arm, Buffer.from('x')],
  ]);
  assert.deepEqual(impressionOf(shared, { requestId: 'r' }), {
    impression: { requestId: 'r', arm: 'challenger', unit: 'r', time: T },
  });
  assert.deepEqual(impressionOf(record(), { requestId: 'r' }), { skipped: 'no-arm' });
});

test('clicks: the timestamp field in ms, seconds, ISO text or a Date, else the record timestamp', () => {
  const at = Date.UTC(2024, 4, 2, 8);
  assert.deepEqual(clickOf(record(), { requestId: 'r', timestamp: at }), { requestId: 'r', time: at });
  assert.deepEqual(clickOf(record(), { requestId: 'r', timestamp: at / 1000 }), { requestId: 'r', time: at });
  assert.deepEqual(clickOf(record(), { requestId: 'r', timestamp: new Date(at).toISOString() }), { requestId: 'r', time: at });
  assert.deepEqual(clickOf(record(), { requestId: 'r', timestamp: new Date(at) }), { requestId: 'r', time: at });
  assert.deepEqual(clickOf(record(), { requestId: 'r', timestamp: BigInt(at) }), { requestId: 'r', time: at });
  assert.deepEqual(clickOf(record(), { requestId: 'r' }), { requestId: 'r', time: T });
  assert.deepEqual(clickOf(record(), { requestId: 'r', timestamp: 'soon' }), { requestId: 'r', time: T });
  assert.deepEqual(clickOf(record([[REQUEST_ID_HEADER, 'h']]), null), { requestId: 'h', time: T });
  assert.equal(clickOf(record(), { id: 'r' }), undefined);
});
