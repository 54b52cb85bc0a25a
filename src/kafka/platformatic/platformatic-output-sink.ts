import { Producer } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import type { OutputSink } from '../../runtime/delivery/ports.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import type { KeyPartitioner } from '../../routing/partitioner.js';
import type { TopicLimit } from '../produce/request-size.js';
import { BatchingSink } from '../produce/batching-sink.js';
import { platformaticBaseOptions } from './platformatic-connection.js';
import { sendFailed } from './platformatic-errors.js';
import { placeRecords } from './platformatic-placement.js';
import { rawSerializers, type RawProducer } from './platformatic-records.js';

export interface PlatformaticSinkOptions {
  readonly connection: ConnectionSettings;
  readonly clientId: string;
  /** Placement of keyed records; murmur2 of the key as the Java client when absent. */
  readonly partitioner?: KeyPartitioner | undefined;
  /** Each topic's max.message.bytes: requests are split so the broker accepts every partition batch. */
  readonly topicLimit?: TopicLimit | undefined;
  /**
   * The transactional id is one an earlier run used (a replay resumed, a redrive run again): the
   * producer asks InitProducerId for a new producer id, as the Java client does. The library's
   * default (id 0, epoch 0) reads as "bump producer 0", which the broker refuses as
   * PRODUCER_FENCED once the id has state. Stages name theirs per process and leave it unset.
   */
  readonly reusedTransactionalId?: boolean | undefined;
}

export function rawProducer(options: PlatformaticSinkOptions, transactionalId?: string, timeoutMs?: number): RawProducer {
  return new Producer({
    ...platformaticBaseOptions(options.connection, { clientId: options.clientId, ...(timeoutMs === undefined ? {} : { timeoutMs }) }),
    // Idempotent: acks=all, one request in flight per broker, sequence numbers.
    idempotent: true,
    acks: -1,
    serializers: rawSerializers,
    ...(transactionalId === undefined ? {} : { transactionalId }),
    ...(transactionalId !== undefined && options.reusedTransactionalId === true ? { producerId: -1n, producerEpoch: -1 } : {}),
  });
}

/**
 * An idempotent producer writing kascade's records byte for byte (headers in order, repeats and
 * nulls kept), one produce request at a time (BatchingSink): the library's idempotent producer
 * reuses its sequence numbers for a second request in flight, which the broker refuses as out of
 * order. Sends queued meanwhile go out together, split to fit the request and topic limits.
 */
export class PlatformaticOutputSink implements OutputSink {
  readonly #sink: BatchingSink<RawProducer>;

  constructor(options: PlatformaticSinkOptions) {
    const partitioner = options.partitioner;
    this.#sink = new BatchingSink(
      rawProducer(options),
      {
        send: async (producer, records) => {
          try {
            await producer.send({ messages: await placeRecords(producer, records, partitioner) });
          } catch (error) {
            throw sendFailed(`writing ${records.length} records`, error);
          }
        },
        renew: async (failed) => {
          await new Promise<void>((resolve) => failed.close(true, () => resolve()));
          return rawProducer(options);
        },
        close: (producer) => producer.close(),
      },
      options.topicLimit,
    );
  }

  send(records: readonly OutgoingRecord[]): Promise<void> {
    return this.#sink.send(records);
  }

  close(): Promise<void> {
    return this.#sink.close();
  }
}
