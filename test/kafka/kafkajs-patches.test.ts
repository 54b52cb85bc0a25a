import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// Loading the client installs kascade's produce encoders before kafkajs itself loads.
import '../../src/kafka/client.js';
import { groupMessagesPerPartition } from '../../src/kafka/partition-grouping.js';
import { encodeRecord } from '../../src/kafka/record-encoding.js';
import { frameRequest } from '../../src/kafka/request-framing.js';

const require = createRequire(import.meta.url);

test("once the client is loaded, kafkajs's produce requests use kascade's record, request and grouping code", async () => {
  const recordModule = require.cache[require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')];
  assert.ok(recordModule !== undefined, 'kafkajs loaded its record encoder');
  assert.equal(recordModule.exports, encodeRecord);
  assert.equal(require('kafkajs/src/producer/groupMessagesPerPartition.js'), groupMessagesPerPartition);

  // The produce request in place writes one buffer of the request's exact size.
  const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (input: object) => { encode(): Promise<{ buf: Buffer; size(): number }> };
  const request = await produceRequest({ acks: -1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] }).encode();
  assert.equal(request.buf.length, request.size());
  assert.equal(require('kafkajs/src/protocol/request.js'), frameRequest);
});
