import { Consumer, type CallbackWithPromise, type ConsumerOptions, type FetchOptions, type fetchV17 } from '@platformatic/kafka';
import { withoutAbortedRecords } from './committed-batches.js';
import { READ_COMMITTED } from './platformatic-connection.js';

/**
 * A @platformatic/kafka consumer whose read_committed fetches hand over no record of an aborted
 * transaction. The library's own filter lets some through (one aborted range per producer, none
 * whose marker lies beyond the response: docs/kafka-clients.md); this subclass takes them out of
 * every response its `fetch` returns, which is what the library's message stream consumes. Aborted
 * batches stay in the response, emptied, so the stream's positions still move past them.
 */
export class ReadCommittedConsumer<Key = Buffer, Value = Buffer, HeaderKey = Buffer, HeaderValue = Buffer> extends Consumer<Key, Value, HeaderKey, HeaderValue> {
  readonly #isolationLevel: number;

  constructor(options: ConsumerOptions<Key, Value, HeaderKey, HeaderValue>) {
    super(options);
    this.#isolationLevel = options.isolationLevel ?? READ_COMMITTED;
  }

  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>, callback: CallbackWithPromise<fetchV17.FetchResponse>): void;
  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>): Promise<fetchV17.FetchResponse>;
  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>, callback?: CallbackWithPromise<fetchV17.FetchResponse>): void | Promise<fetchV17.FetchResponse> {
    if (callback === undefined) {
      return new Promise((resolve, reject) => {
        this.fetch(options, (error, response) => (error ? reject(error) : resolve(response as fetchV17.FetchResponse)));
      });
    }
    const readCommitted = (options.isolationLevel ?? this.#isolationLevel) === READ_COMMITTED;
    super.fetch(options, (error, response) => {
      if (!error && response !== undefined && readCommitted) dropAbortedRecords(response);
      callback(error, response);
    });
  }
}

function dropAbortedRecords(response: fetchV17.FetchResponse): void {
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      // Most responses name no aborted transaction: those pass untouched.
      if (partition.records !== undefined && partition.abortedTransactions.length > 0) partition.records = withoutAbortedRecords(partition.records, partition.abortedTransactions);
    }
  }
}
