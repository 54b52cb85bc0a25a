import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { crc32c } from '../../src/kafka/crc32c.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;

test('CRC-32C of "123456789" is the standard check value e3069283', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test("crc32c equals kafkajs's on every length from 0 to 100 and on a large buffer, and over a range", () => {
  const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 131 + (index >> 7)) & 0xff));
  for (let length = 0; length <= 100; length++) assert.equal(crc32c(bytes.subarray(0, length)), kafkajsCrc32c(bytes.subarray(0, length)), `length ${String(length)}`);
  assert.equal(crc32c(bytes), kafkajsCrc32c(bytes));
  assert.equal(crc32c(bytes, 21, 60_003), kafkajsCrc32c(bytes.subarray(21, 60_003)));
});
