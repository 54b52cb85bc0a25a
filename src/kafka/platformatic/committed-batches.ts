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
 * The data batches a read_committed reader may hand over, in offset order: no control batch and
 * no batch of an aborted transaction. `batches` are one partition's, in offset order.
 */
export function committedBatches<Batch extends FetchedBatch>(batches: readonly Batch[], aborted: readonly AbortedTransaction[]): Batch[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  const kept: Batch[] = [];
  let next = 0;
  for (const batch of batches) {
    // Every aborted transaction begun by the end of this batch is open from here on.
    const last = lastOffsetOf(batch);
    for (let txn = pending[next]; txn !== undefined && txn.firstOffset <= last; txn = pending[++next]) abortedProducers.add(txn.producerId);
    if (isControlBatch(batch)) {
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      continue;
    }
    if ((batch.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
    kept.push(batch);
  }
  return kept;
}

function isAbortMarker(batch: FetchedBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER;
}
