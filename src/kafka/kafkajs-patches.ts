import { createRequire } from 'node:module';
import { kafkajsPatchState } from './kafkajs-patch-state.js';
import { decodingOnOwnTurn, type PartitionRecordsDecoder } from './fetch-decoding.js';
import { groupMessagesPerPartition } from './partition-grouping.js';
import { produceRequestEncoder } from './produce-request-encoding.js';
import type { Int64Bits } from './record-batch-encoding.js';
import { decodeRecord } from './record-decoding.js';
import { encodeRecord } from './record-encoding.js';
import { frameRequest } from './request-framing.js';

/**
 * kascade's replacements for pieces of kafkajs's produce path, the largest cost of a stage's
 * main thread: the record encoder, the produce request encoder (record batches included), the
 * request framing and the grouping of messages by partition. Each writes the same bytes or groups the same way
 * (tests compare them with kafkajs's own), only with fewer allocations and copies. On the fetch
 * path, records are decoded without 64-bit Long objects (the same messages), and each
 * partition's records on an event-loop turn of their own.
 *
 * They go in before kafkajs first loads, because its modules keep references to what they
 * required: every src/kafka module that loads kafkajs imports this file first. If kafkajs is
 * laid out differently, or already loaded, nothing is changed.
 */

const MODULES = {
  record: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  grouping: 'kafkajs/src/producer/groupMessagesPerPartition.js',
  produceRequest: 'kafkajs/src/protocol/requests/produce/v3/request.js',
  requestFraming: 'kafkajs/src/protocol/request.js',
  /** Required by the record batch decoder, which fetchRecords requires. */
  recordDecoder: 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js',
  /** Required by the responses of fetch v4 to v11. */
  fetchRecords: 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js',
  long: 'kafkajs/src/utils/long.js',
  /** Loaded by kafkajs's index: once it is, kafkajs holds references to the modules above. */
  connection: 'kafkajs/src/network/connection.js',
} as const;

interface KafkajsLong {
  getHighBits(): number;
  getLowBits(): number;
}

/** True when every replacement went in; false when kafkajs was already loaded or is laid out differently. */
export function installKafkajsPatches(): boolean {
  const require = createRequire(import.meta.url);
  try {
    if (require.cache[require.resolve(MODULES.connection)] !== undefined || require.cache[require.resolve(MODULES.produceRequest)] !== undefined) return false;
    const Long = require(MODULES.long) as { fromValue(value: unknown): KafkajsLong };
    const bits: Int64Bits = (value) => {
      const long = Long.fromValue(value);
      return { high: long.getHighBits(), low: long.getLowBits() };
    };
    if (!replaceExports(require, MODULES.record, encodeRecord) || !replaceExports(require, MODULES.grouping, groupMessagesPerPartition)) return false;
    // Before fetchRecords loads: the record batch decoder keeps the record decoder it required.
    if (!replaceExports(require, MODULES.recordDecoder, decodeRecord)) return false;
    const fetchRecords = require(MODULES.fetchRecords) as PartitionRecordsDecoder;
    if (!replaceExports(require, MODULES.fetchRecords, decodingOnOwnTurn(fetchRecords))) return false;
    // Loaded after the record encoder is in place: compressed requests, left to kafkajs, use it too.
    const produceRequest = require(MODULES.produceRequest) as Parameters<typeof produceRequestEncoder>[0];
    return replaceExports(require, MODULES.produceRequest, produceRequestEncoder(produceRequest, bits)) && replaceExports(require, MODULES.requestFraming, frameRequest);
  } catch {
    return false;
  }
}

function replaceExports(require: NodeJS.Require, module: string, exports: unknown): boolean {
  const path = require.resolve(module);
  require(path);
  const cached = require.cache[path];
  if (cached === undefined) return false;
  cached.exports = exports;
  return true;
}

kafkajsPatchState.installed = installKafkajsPatches();
