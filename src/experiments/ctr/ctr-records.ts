import { ExperimentHeader } from '../../routing/experiment-headers.js';
import { keyTextOfBytes } from '../../routing/key-text.js';

/**
 * Impressions and clicks as the CTR analysis sees them, and how they are taken from records of
 * the arms' output topics and of the clicks topic. Both sides are timed the same way, by event
 * time: a `timestamp` field in the value when there is one (the Kafka timestamp may be an
 * ingestion time), else the Kafka timestamp.
 */

/**
 * The request id header kascade's stages write (`LineageHeader.requestId` in runtime/lineage.ts,
 * which experiments/ may not import; a test keeps the two equal).
 */
export const REQUEST_ID_HEADER = 'kascade.request-id';

/** A record's headers in order, as the runtime holds them (experiments/ may not import runtime/). */
export type ReadHeaders = ReadonlyArray<readonly [name: string, value: Buffer | string | null]>;

/** A record as read from a topic, transport-neutral. `value` is decoded separately. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The Kafka timestamp, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly headers: ReadHeaders;
}

/** A prediction that was shown: one per request id. */
export interface Impression {
  readonly requestId: string;
  readonly arm: string;
  /** The randomisation unit (user): the `kascade.unit` header, else the record key, else the request id. */
  readonly unit: string;
  /** Event time, milliseconds since the epoch: the value's `timestamp` field, else the Kafka timestamp. */
  readonly time: number;
}

export interface Click {
  readonly requestId: string;
  /** Event time, milliseconds since the epoch: the value's `timestamp` field, else the Kafka timestamp. */
  readonly time: number;
}

export type ImpressionRead = { readonly impression: Impression } | { readonly skipped: 'no-request-id' | 'no-arm' };

/**
 * The impression a prediction record stands for. `arm` is the arm whose topic the record came
 * from; without it (one topic for all arms) the `kascade.arm` header names the arm.
 */
export function impressionOf(record: ReadRecord, value: unknown, arm?: string): ImpressionRead {
  const requestId = requestIdOf(record, value);
  if (requestId === undefined) return { skipped: 'no-request-id' };
  const armName = arm ?? nonEmpty(headerText(record.headers, ExperimentHeader.arm));
  if (armName === undefined) return { skipped: 'no-arm' };
  const unit = nonEmpty(headerText(record.headers, ExperimentHeader.unit)) ?? nonEmpty(record.key === null ? undefined : keyTextOfBytes(record.key, undefined)) ?? requestId;
  return { impression: { requestId, arm: armName, unit, time: timeField(value) ?? record.timestamp } };
}

/** The click a clicks-topic record stands for; undefined when it names no request id. */
export function clickOf(record: ReadRecord, value: unknown): Click | undefined {
  const requestId = requestIdOf(record, value);
  if (requestId === undefined) return undefined;
  return { requestId, time: timeField(value) ?? record.timestamp };
}

/** The value's `requestId` field (a string or an integer), else the `kascade.request-id` header. */
export function requestIdOf(record: ReadRecord, value: unknown): string | undefined {
  const field = isObject(value) ? value['requestId'] : undefined;
  if (typeof field === 'string' && field !== '') return field;
  if ((typeof field === 'number' && Number.isInteger(field)) || typeof field === 'bigint') return String(field);
  return nonEmpty(headerText(record.headers, REQUEST_ID_HEADER));
}

/**
 * The value's `timestamp` field in milliseconds: a number (below 1e11 it is read as seconds:
 * 1e11 ms is 1973, 1e11 s the year 5138), a bigint, a Date (Avro timestamp-millis) or an ISO string.
 */
function timeField(value: unknown): number | undefined {
  const field = isObject(value) ? value['timestamp'] : undefined;
  if (typeof field === 'number' && Number.isFinite(field)) return field < 1e11 ? field * 1000 : field;
  if (typeof field === 'bigint') return Number(field);
  if (field instanceof Date) return Number.isNaN(field.getTime()) ? undefined : field.getTime();
  if (typeof field === 'string' && field !== '') {
    const parsed = /^\d+$/.test(field) ? Number(field) : Date.parse(field);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** The first non-null value of the header `name`, as UTF-8 text. */
export function headerText(headers: ReadHeaders, name: string): string | undefined {
  for (const [headerName, value] of headers) if (headerName === name && value !== null) return value.toString();
  return undefined;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
