import type { KascadeError } from '../errors.js';
import type { OutgoingRecord, SourceRecord } from './record.js';

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

/** Messages are capped so one pathological error cannot make the record too large for Kafka. */
const MAX_MESSAGE = 2000;

/** The original record (key, value and headers byte for byte) plus why and where it failed. */
export function deadLetterRecord(source: SourceRecord, error: KascadeError, stage: string, topic: string, now: Date): OutgoingRecord {
  const original: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(source.headers)) {
    const first = Array.isArray(value) ? (value as ReadonlyArray<Buffer | string>)[0] : (value as Buffer | string | undefined);
    if (first !== undefined) original[name] = first;
  }
  return {
    topic,
    key: source.key,
    value: source.value,
    headers: {
      ...original,
      [DeadLetterHeader.errorCode]: error.code,
      [DeadLetterHeader.errorMessage]: error.message.slice(0, MAX_MESSAGE),
      [DeadLetterHeader.stage]: stage,
      [DeadLetterHeader.sourceTopic]: source.topic,
      [DeadLetterHeader.sourcePartition]: String(source.partition),
      [DeadLetterHeader.sourceOffset]: source.offset,
      [DeadLetterHeader.time]: now.toISOString(),
    },
  };
}
