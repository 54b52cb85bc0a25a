import { DeadLetterHeader } from './dead-letter.js';
import { headerText } from '../record.js';
import { deadLetterCode, redriveCount, type DeadLetter } from './redrive.js';

/** Shown for dead letters without a stage header. */
const NO_STAGE = '(no stage)';

/** Counts of a dead-letter topic (`kascade dlq stats`): per error code, stage and redrive count, and the time span. */
export class DeadLetterStats {
  total = 0;
  readonly byCode = new Map<string, number>();
  readonly byStage = new Map<string, number>();
  /** Redrive count -> records (0: never redriven). */
  readonly byRedriveCount = new Map<number, number>();
  /** Milliseconds since the epoch of the oldest and newest failure. */
  oldestMs: number | undefined;
  newestMs: number | undefined;

  /** `timestampMs`, the record's Kafka timestamp, stands in for a missing or unreadable kascade.error.time. */
  add(deadLetter: DeadLetter, timestampMs: number): void {
    this.total++;
    increment(this.byCode, deadLetterCode(deadLetter.headers));
    increment(this.byStage, headerText(deadLetter.headers, DeadLetterHeader.stage) ?? NO_STAGE);
    increment(this.byRedriveCount, redriveCount(deadLetter.headers));
    const failedAt = Date.parse(headerText(deadLetter.headers, DeadLetterHeader.time) ?? '');
    const time = Number.isNaN(failedAt) ? timestampMs : failedAt;
    if (this.oldestMs === undefined || time < this.oldestMs) this.oldestMs = time;
    if (this.newestMs === undefined || time > this.newestMs) this.newestMs = time;
  }
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
