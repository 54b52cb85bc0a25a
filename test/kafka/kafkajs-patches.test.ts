import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// Loading the client installs kascade's produce encoders before kafkajs itself loads.
import '../../src/kafka/client.js';
import { groupMessagesPerPartition } from '../../src/kafka/partition-grouping.js';
import { encodeRecord } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);

test("once the client is loaded, kafkajs's produce requests use kascade's record, batch and grouping code", async () => {
  const recordModule = require.cache[require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')];
  assert.ok(recordModule !== undefined, 'kafkajs loaded its record encoder');
  assert.equal(recordModule.exports, encodeRecord);
  assert.equal(require('kafkajs/src/producer/groupMessagesPerPartition.js'), groupMessagesPerPartition);

  // The batch encoder in place writes one buffer of the batch's exact size.
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (input: object) => Promise<{ buf: Buffer; size(): number }> };
  const batch = await RecordBatch({ records: [encodeRecord({ key: 'k', value: 'v' })] });
  assert.equal(batch.buf.length, batch.size());
});
