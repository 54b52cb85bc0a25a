import { ErrorCode } from '../../errors.js';
import { DEAD_LETTER_HEADER_PREFIX, DeadLetterHeader, REDRIVE_COUNT_HEADER } from './dead-letter.js';
import { headerText, type Header, type Headers } from '../record.js';

/**
 * The decisions of `kascade dlq redrive`, apart from Kafka: which dead letters are selected,
 * which are refused, where each goes and with which headers.
 */

/** A record read from a dead-letter topic (its key and value travel untouched, so they are not here). */
export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly headers: Headers;
}

export interface RedrivePolicy {
  /** Error codes to redrive (full codes); every code when empty. */
  readonly codes: ReadonlySet<string>;
  /** Only dead letters of this stage, when set. */
  readonly stage?: string | undefined;
  /** Sends every selected record here instead of back to its source topic. */
  readonly to?: string | undefined;
  /** A record already redriven this many times is refused. */
  readonly maxRedrives: number;
}

/** Headers to produce: the dead letter's own, minus the kascade.error.* ones, plus the new count. */
export type RedriveHeaders = Headers;

export type RedriveDecision =
  | {
      readonly kind: 'redrive';
      readonly code: string;
      readonly topic: string;
      /** The source partition when the record goes back to its source topic; by key otherwise. */
      readonly partition: number | undefined;
      /** The count the redriven record carries (previous + 1). */
      readonly count: number;
      readonly headers: RedriveHeaders;
    }
  | { readonly kind: 'skip' }
  | { readonly kind: 'refuse'; readonly code: string; readonly count: number }
  | { readonly kind: 'fail'; readonly code: string; readonly reason: string };

/** Shown for dead letters without an error code header (not written by a kascade stage). */
export const NO_CODE = '(no code)';

export function redriveCount(headers: Headers): number {
  const text = headerText(headers, REDRIVE_COUNT_HEADER);
  // Only kascade writes it; anything that is not a count is read as a first redrive.
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : 0;
}

export function deadLetterCode(headers: Headers): string {
  return headerText(headers, DeadLetterHeader.errorCode) ?? NO_CODE;
}

/** What to do with one dead letter: filtered out, refused, unroutable, or redriven where and how. */
export function decideRedrive(deadLetter: DeadLetter, policy: RedrivePolicy): RedriveDecision {
  const { headers } = deadLetter;
  const code = deadLetterCode(headers);
  if (policy.codes.size > 0 && !policy.codes.has(code)) return { kind: 'skip' };
  if (policy.stage !== undefined && headerText(headers, DeadLetterHeader.stage) !== policy.stage) return { kind: 'skip' };

  const count = redriveCount(headers);
  if (count >= policy.maxRedrives) return { kind: 'refuse', code, count };

  const sourceTopic = headerText(headers, DeadLetterHeader.sourceTopic);
  const topic = policy.to ?? sourceTopic;
  if (topic === undefined || topic === '') {
    return { kind: 'fail', code, reason: `no ${DeadLetterHeader.sourceTopic} header to send it back to: name a topic with --to` };
  }
  // Back on its source partition keeps the placement a custom partitioner (colocation) gave it.
  const partition = topic === sourceTopic ? sourcePartition(headers) : undefined;
  return { kind: 'redrive', code, topic, partition, count: count + 1, headers: redrivenHeaders(headers, count + 1) };
}

/** A redrive decision checked against its target's partition count (undefined: the topic does not exist). */
export function checkTarget(decision: RedriveDecision & { kind: 'redrive' }, partitions: number | undefined, deadLetterTopic: string): RedriveDecision {
  if (decision.topic === deadLetterTopic) return { kind: 'fail', code: decision.code, reason: `its target is the dead-letter topic ${deadLetterTopic} itself` };
  if (partitions === undefined) return { kind: 'fail', code: decision.code, reason: `target topic ${decision.topic} does not exist` };
  if (decision.partition !== undefined && decision.partition >= partitions) {
    return { kind: 'fail', code: decision.code, reason: `source partition ${decision.partition} is beyond the ${partitions} partitions of ${decision.topic}` };
  }
  return decision;
}

/** The original headers byte for byte, without kascade.error.*, with the redrive count set. */
export function redrivenHeaders(headers: Headers, count: number): RedriveHeaders {
  const kept: Header[] = [];
  for (const header of headers) {
    const name = header[0];
    if (name.startsWith(DEAD_LETTER_HEADER_PREFIX) || name === REDRIVE_COUNT_HEADER) continue;
    kept.push(header);
  }
  kept.push([REDRIVE_COUNT_HEADER, String(count)]);
  return kept;
}

function sourcePartition(headers: Headers): number | undefined {
  const text = headerText(headers, DeadLetterHeader.sourcePartition);
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

const CODE_PREFIX = 'KASCADE_';
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * An error code as an operator may type it: `KASCADE_DECODE_FAILED`, `DECODE_FAILED` or
 * `decode-failed`; undefined when it names no code kascade has.
 */
export function parseErrorCode(text: string): string | undefined {
  const normalized = text.trim().toUpperCase().replaceAll('-', '_');
  const full = normalized.startsWith(CODE_PREFIX) ? normalized : `${CODE_PREFIX}${normalized}`;
  return KNOWN_CODES.has(full) ? full : undefined;
}

/** The codes a filter may name, short forms, for a usage message. */
export function errorCodeNames(): string[] {
  return [...KNOWN_CODES].map((code) => code.slice(CODE_PREFIX.length)).sort();
}
