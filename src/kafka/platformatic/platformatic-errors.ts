import { ErrorCode, KascadeError } from '../../errors.js';
import { OwnershipLostError } from '../../runtime/delivery/ownership-lost.js';
import type { TopicPartition } from '../../runtime/delivery/ports.js';

/**
 * Kafka error names (the library's `apiId`) anywhere in an error the library gave: its errors
 * nest (a ResponseError holds a ProtocolError per failed partition, retries wrap the last one).
 */
export function kafkaErrorIds(error: unknown): Set<string> {
  const ids = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as { apiId?: unknown; errors?: unknown; cause?: unknown };
    if (typeof record.apiId === 'string') ids.add(record.apiId);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
    visit(record.cause);
  };
  visit(error);
  return ids;
}

/** The group moved on without this member: its commits are refused until it joins again. */
export const GROUP_OWNERSHIP_ERRORS: ReadonlySet<string> = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'STALE_MEMBER_EPOCH',
  'FENCED_MEMBER_EPOCH',
  'UNKNOWN_MEMBER_EPOCH',
]);

/** Refused because the group is between generations: the member may commit again once it has joined the next. */
export function isRebalanceRefusal(error: unknown): boolean {
  const ids = kafkaErrorIds(error);
  return ids.has('ILLEGAL_GENERATION') || ids.has('REBALANCE_IN_PROGRESS');
}

/** A newer producer with the same transactional id took over. */
export const PRODUCER_FENCING_ERRORS: ReadonlySet<string> = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

export function isGroupOwnershipError(error: unknown): boolean {
  for (const id of kafkaErrorIds(error)) if (GROUP_OWNERSHIP_ERRORS.has(id)) return true;
  return false;
}

export function isProducerFenced(error: unknown): boolean {
  for (const id of kafkaErrorIds(error)) if (PRODUCER_FENCING_ERRORS.has(id)) return true;
  return false;
}

/** The broker's words: the messages of the nested errors, most specific last. */
export function describeKafkaError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as { message?: unknown; apiId?: unknown; serverErrorMessage?: unknown; errors?: unknown; cause?: unknown };
    let text = typeof record.message === 'string' ? record.message : '';
    if (typeof record.apiId === 'string') text = `${record.apiId}: ${text}`;
    if (typeof record.serverErrorMessage === 'string' && record.serverErrorMessage !== '') text += ` (${record.serverErrorMessage})`;
    if (text !== '' && !parts.includes(text)) parts.push(text);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
    visit(record.cause);
  };
  visit(error);
  return parts.length === 0 ? String(error) : parts.join('; ');
}

export function sendFailed(what: string, error: unknown): KascadeError {
  return new KascadeError(ErrorCode.KafkaSendFailed, `${what}: ${describeKafkaError(error)}`, { retriable: true, cause: error });
}

/** OwnershipLostError for group and fencing errors, a retriable KascadeError for the rest. */
export function commitError(what: string, error: unknown, partitions: readonly TopicPartition[]): Error {
  if (error instanceof OwnershipLostError || error instanceof KascadeError) return error;
  if (isGroupOwnershipError(error) || isProducerFenced(error)) {
    return new OwnershipLostError(`${what}: ${describeKafkaError(error)}`, partitions, { cause: error });
  }
  return sendFailed(what, error);
}

/**
 * Why @platformatic/kafka 1.35 could not decompress a fetched batch, or undefined when `error`
 * is something else. Its snappy reads raw blocks only, not the xerial framing the Java client
 * and the broker write; its zstd is node:zlib's, which Node 20 lacks. (2.x reads both, on Node 22.)
 */
export function unreadableBatchReason(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let reason: string | undefined;
  const visit = (value: unknown): void => {
    if (reason !== undefined || typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as { code?: unknown; message?: unknown; stack?: unknown; errors?: unknown; cause?: unknown };
    const stack = typeof record.stack === 'string' ? record.stack : '';
    if (record.code === 'PLT_KFK_UNSUPPORTED_COMPRESSION') {
      reason = String(record.message).includes('zstd')
        ? `a zstd-compressed batch: the client decompresses zstd with node:zlib, which Node ${process.versions.node} lacks (it needs Node 22.15 or later)`
        : `a batch compressed with a codec the client does not read (${String(record.message)})`;
    } else if (/\bsnappyDecompress\b/.test(stack)) {
      reason = 'a snappy-compressed batch in the xerial framing the Java client and the broker write, which @platformatic/kafka 1.x does not read';
    } else if (/\blz4Decompress\b/.test(stack)) {
      reason = 'an lz4-compressed batch the client could not decompress';
    }
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
    visit(record.cause);
  };
  visit(error);
  return reason;
}

/** A KascadeError (KASCADE_UNREADABLE_BATCH) when `error` is a batch the client could not decompress while reading `where`. */
export function unreadableBatchError(where: string, error: unknown): KascadeError | undefined {
  const reason = unreadableBatchReason(error);
  if (reason === undefined) return undefined;
  return new KascadeError(
    ErrorCode.UnreadableBatch,
    `reading ${where}: ${reason}. No record of it can be seen, so none can be dead-lettered: have its producers compress with gzip or lz4, or not at all (docs/kafka-clients.md, "Compressed input")`,
    { cause: error },
  );
}
