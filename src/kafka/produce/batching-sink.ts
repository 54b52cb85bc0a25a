import { ErrorCode, KascadeError } from '../../errors.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import { addBytes, fitsTogether, MAX_REQUEST_BYTES, splitBySize, type TopicLimit } from './request-size.js';

interface Waiting {
  readonly records: readonly OutgoingRecord[];
  readonly bytes: number;
  readonly byTopic: ReadonlyMap<string, number>;
  resolve(): void;
  reject(error: unknown): void;
}

/** A client's producer as the sink drives it: one request at a time. */
export interface RequestProducer<P> {
  /** Writes the records as one produce request (acks=all); resolves once acknowledged. */
  send(producer: P, records: readonly OutgoingRecord[]): Promise<void>;
  /** Makes a connected producer to replace one whose request failed; the failed one is kept when absent. */
  renew?(failed: P): Promise<P>;
  close(producer: P): Promise<void>;
}

/**
 * Neither client lingers, and an idempotent producer takes one request at a time (a second one
 * in flight reuses its sequence numbers in @platformatic/kafka, and the broker refuses it as out
 * of order): while one produce request is in flight, everything sent meanwhile (by the chunks
 * of all partitions) queues up and goes out as the next request. One request at a time keeps
 * per-partition order; callers learn when their records are acknowledged (acks=all) and only
 * then commit their offsets.
 *
 * After a failed request the producer is replaced (when the client can) before the next one:
 * an idempotent producer may have rolled back the sequence numbers of partitions the broker
 * accepted (a request refused for one partition only, e.g. MESSAGE_TOO_LARGE), and its next
 * batch to such a partition is then refused as out of order, again and again. A new producer
 * has a new producer id and starts its sequences afresh.
 */
export class BatchingSink<P> {
  private readonly queue: Waiting[] = [];
  private flushing = false;
  /** Set after a failed request: the producer is replaced before the next one. */
  private failed = false;

  /** `topicLimit`: each topic's max.message.bytes, so no request holds a partition batch the broker refuses. */
  constructor(
    private producer: P,
    private readonly client: RequestProducer<P>,
    private readonly topicLimit?: TopicLimit,
  ) {}

  /** Closes the producer in use. */
  async close(): Promise<void> {
    await this.client.close(this.producer);
  }

  send(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    // A big chunk (an explode writes several records per input) goes out as several requests, in order.
    const pieces = splitBySize(records, MAX_REQUEST_BYTES, this.topicLimit).map(
      (piece) =>
        new Promise<void>((resolve, reject) => {
          this.queue.push({ records: piece.records, bytes: piece.bytes, byTopic: piece.byTopic, resolve, reject });
        }),
    );
    void this.flush();
    return Promise.all(pieces).then(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeRequest();
        try {
          if (this.failed && this.client.renew !== undefined) {
            this.producer = await this.client.renew(this.producer);
            this.failed = false;
          }
          await this.client.send(this.producer, batch.flatMap((waiting) => waiting.records));
          for (const waiting of batch) waiting.resolve();
        } catch (error) {
          this.failed = true;
          const failure = new KascadeError(ErrorCode.KafkaSendFailed, `producing ${batch.length} batches failed: ${describe(error)}`, {
            retriable: true,
            cause: error,
          });
          for (const waiting of batch) waiting.reject(failure);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The queued sends that fit one request (always at least one). */
  private takeRequest(): Waiting[] {
    const taken = { bytes: 0, byTopic: new Map<string, number>() };
    let count = 0;
    for (const waiting of this.queue) {
      if (count > 0 && !fitsTogether(taken, waiting, MAX_REQUEST_BYTES, this.topicLimit)) break;
      addBytes(taken, waiting);
      count++;
    }
    return this.queue.splice(0, count);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
