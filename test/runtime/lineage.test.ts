import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendModelLineage, lastModelHop, parseSourcePosition, sourcePosition } from '../../src/runtime/lineage.js';

test('kascade.source is topic/partition/offset and reads back, also for topics with dots, dashes and underscores', () => {
  const header = sourcePosition({ topic: 'shop.orders-v2_raw', partition: 11, offset: '9007199254740993' });
  assert.equal(header, 'shop.orders-v2_raw/11/9007199254740993');
  assert.deepEqual(parseSourcePosition(header), { topic: 'shop.orders-v2_raw', partition: 11, offset: '9007199254740993' });
  assert.equal(parseSourcePosition('orders/x/1'), undefined);
  assert.equal(parseSourcePosition('orders'), undefined);
});

test('the last model hop is the model that served the record; versions may hold @', () => {
  const lineage = appendModelLineage(appendModelLineage(undefined, 'ctr-logreg', '3f2a'), 'reranker', 'v@2');
  assert.equal(lineage, 'ctr-logreg@3f2a,reranker@v@2');
  assert.deepEqual(lastModelHop(lineage), { id: 'reranker', version: 'v@2' });
  assert.deepEqual(lastModelHop('ctr-logreg@3f2a'), { id: 'ctr-logreg', version: '3f2a' });
  assert.equal(lastModelHop(undefined), undefined);
  assert.equal(lastModelHop('no-version'), undefined);
});
