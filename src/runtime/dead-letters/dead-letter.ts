import type { KascadeError } from '../../errors.js';
import { replaceHeaders, type OutgoingRecord, type SourceRecord } from '../record.js';

/** Header names on a dead-lettered record, beside the original record's own headers. */
export const DeadLetterHeader = {
  errorCode: 'kascade.error.code',
  errorMessage: 'kascade.error.message',
  stage: 'kascade.error.stage',
  sourceTopic: 'kascade.error.source.topic',
  sourcePartition: 'kascade.error.source.partition',
  sourceOffset: 'kascade.error.source.offset',
  time: 'kascade.error.time',
} as const;

/** Every dead-letter header name starts with this; a redrive strips them all. */
export const DEAD_LETTER_HEADER_PREFIX = 'kascade.error.';

/**
 * How often a record was redriven (`kascade dlq redrive`). It is an ordinary header of the
 * redriven record, so deadLetterRecord copies it into the dead-letter topic when the record fails
 * again, and the count grows across redrive cycles until the redrive refuses the record.
 */
export const REDRIVE_COUNT_HEADER = 'kascade.redrive.count';

/** Messages are capped so one pathological error cannot make the record too large for Kafka. */
const MAX_MESSAGE = 2000;

const DEAD_LETTER_NAMES: ReadonlySet<string> = new Set(Object.values(DeadLetterHeader));

/**
 * The original record (key, value and every header byte for byte, in order, repeats and null
 * values included) plus why and where it failed. Dead-letter headers the record already carried
 * (it failed before) are replaced.
 */
export function deadLetterRecord(source: SourceRecord, error: KascadeError, stage: string, topic: string, now: Date): OutgoingRecord {
  return {
    topic,
    key: source.key,
    value: source.value,
    headers: replaceHeaders(source.headers, DEAD_LETTER_NAMES, [
      [DeadLetterHeader.errorCode, error.code],
      [DeadLetterHeader.errorMessage, error.message.slice(0, MAX_MESSAGE)],
      [DeadLetterHeader.stage, stage],
      [DeadLetterHeader.sourceTopic, source.topic],
      [DeadLetterHeader.sourcePartition, String(source.partition)],
      [DeadLetterHeader.sourceOffset, source.offset],
      [DeadLetterHeader.time, now.toISOString()],
    ]),
  };
}
