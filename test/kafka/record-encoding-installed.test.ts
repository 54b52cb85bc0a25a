import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
// Loading the client installs kascade's record encoder before kafkajs itself loads.
import '../../src/kafka/client.js';
import { encodeRecord } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);

test("once the client is loaded, kafkajs's produce requests encode records with kascade's encoder", () => {
  const recordModule = require.cache[require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')];
  assert.ok(recordModule !== undefined, 'kafkajs loaded its record encoder');
  assert.equal(recordModule.exports, encodeRecord);
});
