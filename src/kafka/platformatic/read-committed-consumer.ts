import {
  Consumer,
  defaultConsumerOptions,
  kGetApi,
  kOptions,
  kPerformWithRetry,
  UserError,
  type CallbackWithPromise,
  type FetchOptions,
  type fetchV17,
} from '@platformatic/kafka';
import { withoutAbortedRecords } from './committed-batches.js';
import { READ_COMMITTED } from './platformatic-connection.js';
import { kafkaErrorIds, unreadableBatchReason } from './platformatic-errors.js';

type FetchResponse = fetchV17.FetchResponse;
type FetchArguments = Parameters<typeof fetchV17.createRequest>;
type FetchRequestTopic = FetchArguments[6][number];

/**
 * A @platformatic/kafka consumer whose read_committed fetches hand over no record of an aborted
 * transaction, and never throw on what a broker sends.
 *
 * The library's own fetch runs its read_committed filter on every response, and that filter both
 * lets aborted records through (one aborted range per producer, none whose marker lies beyond the
 * response) and throws a TypeError from the socket handler when a response holds an abort marker
 * of a producer the response does not list, which a transaction that registered a partition but
 * wrote nothing there leaves behind (docs/kafka-clients.md, item 9; fixed in 2.x, which needs
 * Node 22). So a read_committed fetch is sent here through the library's own building blocks
 * (its retry, its API version choice, the stream's connection pool) and filtered by
 * `withoutAbortedRecords`. Aborted batches stay in the response, emptied, so the stream's
 * positions still move past them. read_uncommitted fetches go through the library unchanged.
 */
export class ReadCommittedConsumer<Key = Buffer, Value = Buffer, HeaderKey = Buffer, HeaderValue = Buffer> extends Consumer<Key, Value, HeaderKey, HeaderValue> {
  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>, callback: CallbackWithPromise<FetchResponse>): void;
  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>): Promise<FetchResponse>;
  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>, callback?: CallbackWithPromise<FetchResponse>): void | Promise<FetchResponse> {
    if (callback === undefined) {
      return new Promise((resolve, reject) => {
        this.fetch(options, (error, response) => (error ? reject(error) : resolve(response as FetchResponse)));
      });
    }
    const settings = this[kOptions];
    if ((options.isolationLevel ?? settings.isolationLevel ?? READ_COMMITTED) !== READ_COMMITTED) {
      super.fetch(options, callback);
      return;
    }
    if (this.closed) {
      callback(new UserError('Client is closed.'));
      return;
    }
    void this[kPerformWithRetry]<FetchResponse>(
      'fetch',
      (retryCallback) => this.#fetchCommittedOnce(options, retryCallback),
      (error, response) => {
        if (!error && response !== undefined) dropAbortedRecords(response);
        callback(error, response);
      },
      0,
      [],
      // The same batch would fail the same way.
      (error) => unreadableBatchReason(error) !== undefined,
    );
  }

  #fetchCommittedOnce(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>, done: (error: Error | null, response?: FetchResponse) => void): void {
    const settings = this[kOptions];
    this.metadata({ topics: this.topics.current }, (error, metadata) => {
      if (error || metadata === undefined) {
        done(error ?? new UserError('no metadata'));
        return;
      }
      const broker = metadata.brokers.get(options.node);
      if (broker === undefined) {
        done(new UserError(`Cannot find broker with node id ${options.node}`));
        return;
      }
      (options.connectionPool ?? this.connections).get(broker, (error, connection) => {
        if (error || connection === undefined) {
          // A new connection may lead to a new leader: fetch without epochs until metadata says.
          forgetLeaderEpochs(options.topics);
          done(error ?? new UserError(`no connection to broker ${options.node}`));
          return;
        }
        this[kGetApi]<FetchArguments, FetchResponse>('Fetch', (error, api) => {
          if (error || api === undefined) {
            done(error ?? new UserError('no Fetch API'));
            return;
          }
          const maxWait = options.maxWaitTime ?? settings.maxWaitTime ?? defaultConsumerOptions.maxWaitTime;
          const minBytes = options.minBytes ?? settings.minBytes ?? defaultConsumerOptions.minBytes;
          const maxBytes = options.maxBytes ?? settings.maxBytes ?? defaultConsumerOptions.maxBytes;
          api(connection, maxWait, minBytes, maxBytes, READ_COMMITTED, 0, 0, options.topics, [], '', (error, response) => {
            if (error && kafkaErrorIds(error).has('FENCED_LEADER_EPOCH')) {
              this.clearMetadata();
              forgetLeaderEpochs(options.topics);
            }
            done(error, response);
          });
        });
      });
    });
  }
}

function forgetLeaderEpochs(topics: readonly FetchRequestTopic[]): void {
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      partition.currentLeaderEpoch = -1;
      partition.lastFetchedEpoch = -1;
    }
  }
}

function dropAbortedRecords(response: FetchResponse): void {
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      // Most responses name no aborted transaction: those pass untouched.
      if (partition.records !== undefined && partition.abortedTransactions.length > 0) partition.records = withoutAbortedRecords(partition.records, partition.abortedTransactions);
    }
  }
}
