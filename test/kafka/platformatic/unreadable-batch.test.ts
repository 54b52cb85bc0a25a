import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipleErrors, UnsupportedCompressionError } from '@platformatic/kafka';
import { ErrorCode, isKascadeError } from '../../../src/errors.js';
import { unreadableBatchError } from '../../../src/kafka/platformatic/platformatic-errors.js';

test('a zstd batch the client cannot decompress, inside its retry errors, is an unreadable batch naming where and why', () => {
  const inner = new UnsupportedCompressionError('zstd is not supported in the current Node.js version');
  const error = unreadableBatchError('orders[0], orders[1]', new MultipleErrors('fetch failed 2 times.', [inner, inner]));
  assert.ok(isKascadeError(error, ErrorCode.UnreadableBatch));
  assert.match(error.message, /^reading orders\[0\], orders\[1\]: a zstd-compressed batch: .*Node 22\.15/);
  assert.equal(error.retriable, false);
});

test('a snappy block the wasm decoder rejects is an unreadable batch; an outage is not', () => {
  const wasm = new Error('unreachable');
  wasm.stack = 'RuntimeError: unreachable\n    at wasm://wasm/00037fe2:wasm-function[44]:0x9aa9\n    at snappyDecompress (file:///x/node_modules/@platformatic/wasm-utils/dist/index.js:46:26)';
  assert.match(unreadableBatchError('orders', new MultipleErrors('fetch failed 6 times.', [wasm]))?.message ?? '', /snappy-compressed batch in the xerial framing/);
  const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
  assert.equal(unreadableBatchError('orders', new MultipleErrors('fetch failed 6 times.', [outage])), undefined);
});
