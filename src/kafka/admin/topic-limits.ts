import { ErrorCode, KascadeError } from '../../errors.js';
import type { OutgoingRecord } from '../../runtime/record.js';
import { singleRecordBatchBytes } from '../produce/record-size.js';
import { kafkaErrorIds } from '../platformatic/platformatic-errors.js';
import { ClusterAdmin, type KafkaAccess } from '../platformatic/cluster-admin.js';

/** Reads max.message.bytes of the topics that exist among `topics`: topic -> bytes. */
export type TopicLimitLoader = () => Promise<ReadonlyMap<string, number>>;

/**
 * The largest record batch each output topic accepts (its max.message.bytes), read at start.
 * Without it the broker's MESSAGE_TOO_LARGE fails a whole produce request: every record of the
 * chunk, good ones included, would be retried forever. With it, an output that cannot fit is
 * refused before producing (its input is dead-lettered) and batches are split to fit.
 */
export class TopicLimits {
  #limits: ReadonlyMap<string, number> = new Map();

  constructor(private readonly load: TopicLimitLoader) {}

  /** The limits of `topics`, read from the cluster (DescribeConfigs) by `refresh`; none known before. */
  static of(access: KafkaAccess, topics: readonly string[]): TopicLimits {
    return new TopicLimits(() => ClusterAdmin.use(access, (admin) => admin.maxMessageBytes(topics)));
  }

  /**
   * Reads the limits (at start, and after the broker refused a batch as too large: a topic's
   * config may have changed). On failure the limits known before stay.
   */
  async refresh(): Promise<void> {
    this.#limits = await this.load();
  }

  /** The topic's max.message.bytes; undefined when unknown (the topic did not exist at start). */
  maxBatchBytes(topic: string): number | undefined {
    return this.#limits.get(topic);
  }

  /** RecordTooLarge when `record` cannot fit a record batch of its topic even alone; undefined when it fits or the limit is unknown. */
  tooLarge(record: OutgoingRecord): KascadeError | undefined {
    const limit = this.#limits.get(record.topic);
    if (limit === undefined) return undefined;
    const bytes = singleRecordBatchBytes(record);
    if (bytes <= limit) return undefined;
    return new KascadeError(
      ErrorCode.RecordTooLarge,
      `output to topic "${record.topic}" takes ${bytes} bytes as a record batch (value ${lengthOf(record.value)}, key ${lengthOf(record.key)}, ` +
        `headers ${headerBytes(record)} bytes), more than the topic's max.message.bytes of ${limit}`,
    );
  }
}

/** True when the broker refused a produce as too large (kafkajs's error, possibly wrapped as a cause). */
export function isMessageTooLarge(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    // kafkajs names the broker's error in `type`, @platformatic/kafka in `apiId` (possibly nested).
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && TOO_LARGE.has(type)) return true;
  }
  for (const id of kafkaErrorIds(error)) if (TOO_LARGE.has(id)) return true;
  return false;
}

const TOO_LARGE: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

function lengthOf(value: Buffer | string | null): number {
  if (value === null) return 0;
  return Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
}

function headerBytes(record: OutgoingRecord): number {
  let bytes = 0;
  for (const [name, value] of record.headers) bytes += Buffer.byteLength(name) + lengthOf(value);
  return bytes;
}
