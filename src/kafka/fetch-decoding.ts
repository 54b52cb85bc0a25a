import { setImmediate as nextTurn } from 'node:timers/promises';

/** kafkajs's decoder of one partition's records in a fetch response (fetch v4 and later). */
export type PartitionRecordsDecoder = (decoder: unknown) => Promise<unknown[]>;

/**
 * kafkajs decodes a whole fetch response, every partition's records, as one run of promise
 * callbacks: nothing else runs meanwhile, not timers, not heartbeats, not the acknowledgements
 * of produce requests. With several partitions of 256 KiB that stalled the event loop for tens
 * of milliseconds. Decoding each partition's records on an event-loop turn of its own bounds a
 * stall by one partition's share.
 */
export function decodingOnOwnTurn(decode: PartitionRecordsDecoder): PartitionRecordsDecoder {
  return async (decoder) => {
    await nextTurn();
    return decode(decoder);
  };
}
