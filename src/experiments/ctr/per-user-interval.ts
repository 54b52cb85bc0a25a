import { clusteredInterval, MIN_RELIABLE_UNITS } from '../statistics/delta-method.js';
import type { ArmTally } from './arm-tally.js';

/**
 * An arm's CTR interval with users as clusters (the delta method), as the report shows it. The
 * delta method's interval is a Wald interval, R ± z·SE: it can reach below 0 or above 1, which
 * no CTR can, so it is clamped to [0, 1]; and it is only as good as its variance, which is
 * noisy with few users and 0 when no impression (or every one) was clicked, so such intervals
 * are marked unreliable rather than shown as if they were tight.
 */
export type IntervalCaveat = 'few-units' | 'no-clicks' | 'all-clicked';

export interface PerUserInterval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  readonly standardError: number;
  /** Why not to trust the interval's width; null when nothing is known against it. */
  readonly unreliable: IntervalCaveat | null;
}

/** The interval, when it applies: a unit saw several impressions (else Wilson's says it all) and the arm has two units. */
export function perUserInterval(tally: ArmTally, confidence: number): PerUserInterval | undefined {
  if (tally.maxImpressionsPerUnit <= 1 || tally.units.length < 2) return undefined;
  const interval = clusteredInterval(tally.units, confidence);
  return {
    estimate: interval.estimate,
    low: Math.max(0, interval.low),
    high: Math.min(1, interval.high),
    standardError: interval.standardError,
    unreliable: tally.clicked === 0 ? 'no-clicks' : tally.clicked === tally.impressions ? 'all-clicked' : tally.units.length < MIN_RELIABLE_UNITS ? 'few-units' : null,
  };
}

/** The caveat in words (`8 units`, `no clicks`); units: the arm's. */
export function caveatText(caveat: IntervalCaveat, units: number): string {
  return caveat === 'no-clicks' ? 'no clicks' : caveat === 'all-clicked' ? 'every impression clicked' : `${units} units`;
}

/** Why the caveat matters, for the notes. */
export function caveatReason(caveat: IntervalCaveat): string {
  return caveat === 'few-units' ? `the delta method wants at least ${MIN_RELIABLE_UNITS}` : 'the delta method gives it no width';
}
