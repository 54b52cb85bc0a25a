/**
 * read_committed, done as the Java consumer does it (`Fetcher`/`CompletedFetch`): a fetch
 * response names the aborted transactions it overlaps (producer id and first offset); walking the
 * partition's batches in offset order, a producer's transaction counts as aborted from its first
 * offset on until that producer's abort marker, and its data batches in between are dropped.
 *
 * Both clients kascade uses get this wrong in ways a fault makes likely (docs/kafka-clients.md):
 * @platformatic/kafka keeps one aborted range per producer and none whose marker lies beyond the
 * response; kafkajs takes the aborted list as ordered by first offset (the broker orders it by
 * marker) and starts at most one aborted transaction per record. Both let aborted records through.
 */

/** The fields of a fetched record batch this needs (a @platformatic/kafka RecordsBatch has them). */
export interface FetchedBatch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly records: readonly { readonly key: Buffer | null }[];
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
/** A control record's key is version (int16) then type (int16): 0 abort, 1 commit. */
const ABORT_MARKER = 0;

export function isControlBatch(batch: FetchedBatch): boolean {
  return (batch.attributes & CONTROL) !== 0;
}

export function lastOffsetOf(batch: FetchedBatch): bigint {
  return batch.firstOffset + BigInt(batch.lastOffsetDelta);
}

/**
 * One partition's batches (in offset order) with the records of aborted transactions taken out.
 * A batch of an aborted transaction stays, emptied, and control batches stay as they are: a
 * reader moves its position past every batch it was given.
 */
export function withoutAbortedRecords<Batch extends FetchedBatch>(batches: readonly Batch[], aborted: readonly AbortedTransaction[]): Batch[] {
  if (aborted.length === 0) return [...batches];
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  let next = 0;
  return batches.map((batch) => {
    // Every aborted transaction begun by the end of this batch is open from here on.
    const last = lastOffsetOf(batch);
    for (let txn = pending[next]; txn !== undefined && txn.firstOffset <= last; txn = pending[++next]) abortedProducers.add(txn.producerId);
    if (isControlBatch(batch)) {
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      return batch;
    }
    const abortedData = (batch.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId);
    return abortedData ? { ...batch, records: [] } : batch;
  });
}

function isAbortMarker(batch: FetchedBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER;
}
