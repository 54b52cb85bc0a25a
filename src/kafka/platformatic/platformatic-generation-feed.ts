import type { MessagesStream } from '@platformatic/kafka';
import { partitionKey, type SourceListener } from '../../runtime/delivery/ports.js';
import { PartitionBatches } from './platformatic-partition-batches.js';
import { toSourceRecord, type FetchedMessage, type RawRecordParts } from './platformatic-records.js';

export type StageStream = MessagesStream<RawRecordParts, Buffer | null, Buffer, Buffer>;

export interface GenerationFeedOptions {
  /** The partitions (`topic/partition`) of this generation's assignment: records of others are dropped. */
  readonly keep: ReadonlySet<string>;
  /** Whether the engine has paused the source. */
  readonly paused: boolean;
  readonly maxBuffered: number;
  readonly maxBatch: number;
  readonly endOffset: (topic: string, partition: number) => bigint | undefined;
  /** The stream failed while this feed was current. */
  readonly onError: (error: Error) => void;
}

/**
 * The fetching of one generation: a stream started at the group's committed offsets, its
 * records queued per partition for the listener, and the stream paused while the engine has
 * paused the source or the queues are full. A closed feed hands nothing more over.
 */
export class GenerationFeed {
  readonly #stream: StageStream;
  readonly #batches: PartitionBatches;
  #paused: boolean;
  #bufferFull = false;
  #closed = false;

  constructor(stream: StageStream, listener: SourceListener, options: GenerationFeedOptions) {
    this.#stream = stream;
    this.#paused = options.paused;
    this.#batches = new PartitionBatches(listener, {
      maxBuffered: options.maxBuffered,
      maxBatch: options.maxBatch,
      onFull: (full) => {
        this.#bufferFull = full;
        this.#applyFlow();
      },
      endOffset: options.endOffset,
    });
    this.#batches.hold(this.#paused);
    stream.on('error', (error: Error) => {
      if (!this.#closed) options.onError(error);
    });
    stream.on('data', (message: FetchedMessage) => {
      if (this.#closed || !options.keep.has(partitionKey(message.topic, message.partition))) return;
      this.#batches.add(toSourceRecord(message));
    });
    this.#applyFlow();
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
    this.#batches.hold(paused);
    this.#applyFlow();
  }

  /** Hands nothing more over and stops fetching, for a stop; close() follows. */
  halt(): void {
    this.#batches.hold(true);
    this.#stream.pause();
  }

  /** What was fetched and not handed over is dropped; the stream is closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batches.close();
    this.#stream.removeAllListeners('data');
    this.#stream.on('error', () => undefined);
    void this.#stream.close().catch(() => undefined);
  }

  #applyFlow(): void {
    if (this.#closed) return;
    if (this.#paused || this.#bufferFull) this.#stream.pause();
    else this.#stream.resume();
  }
}
