import { Producer } from '@platformatic/kafka';
import type { ConnectionSettings } from '../../config/connection.js';
import type { OutputSink } from '../../runtime/delivery/ports.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import type { KeyPartitioner } from '../client.js';
import { splitBySize, MAX_REQUEST_BYTES, type TopicLimit } from '../messages.js';
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
}

export function rawProducer(options: PlatformaticSinkOptions, transactionalId?: string, timeoutMs?: number): RawProducer {
  return new Producer({
    ...platformaticBaseOptions(options.connection, { clientId: options.clientId, ...(timeoutMs === undefined ? {} : { timeoutMs }) }),
    // Idempotent: acks=all, one request in flight per broker, sequence numbers.
    idempotent: true,
    acks: -1,
    serializers: rawSerializers,
    ...(transactionalId === undefined ? {} : { transactionalId }),
  });
}

/**
 * An idempotent producer writing kascade's records byte for byte (headers in order, repeats and
 * nulls kept). Records go in requests of at most MAX_REQUEST_BYTES (splitBySize: the library
 * sends one produce request per broker for all it is given, and a partition's batch over the
 * broker's message.max.bytes fails whole).
 */
export class PlatformaticOutputSink implements OutputSink {
  readonly #producer: RawProducer;
  readonly #partitioner: KeyPartitioner | undefined;
  readonly #topicLimit: TopicLimit | undefined;

  constructor(options: PlatformaticSinkOptions) {
    this.#producer = rawProducer(options);
    this.#partitioner = options.partitioner;
    this.#topicLimit = options.topicLimit;
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    for (const piece of splitBySize(records, MAX_REQUEST_BYTES, this.#topicLimit)) {
      try {
        const messages = await placeRecords(this.#producer, piece.records, this.#partitioner);
        await this.#producer.send({ messages });
      } catch (error) {
        throw sendFailed(`writing ${piece.records.length} records`, error);
      }
    }
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
