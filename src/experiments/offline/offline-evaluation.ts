import { kolmogorovSmirnov, type KsResult } from '../statistics/kolmogorov-smirnov.js';
import { twoSidedCriticalValue } from '../statistics/normal.js';
import { wilsonInterval } from '../statistics/wilson.js';

/** What the serving (logging) policy did for one request. */
export interface LoggedDecision {
  readonly requestId: string;
  /** The item shown, and the probability the logging policy had of showing it. */
  readonly shown: string;
  readonly propensity: number;
  /** The logging model's own first choice (what the challenger's choice is compared with). */
  readonly top: string;
  readonly score?: number | undefined;
}

/** What the challenger, replayed on the same request, would have shown. */
export interface ShadowDecision {
  readonly requestId: string;
  readonly choice: string;
  readonly score?: number | undefined;
}

export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

export interface ScoreSummary {
  readonly count: number;
  readonly mean: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
}

export interface OfflineEvaluation {
  /** Logged requests with a shadow decision: the requests both policies saw. */
  readonly matched: number;
  readonly loggedWithoutShadow: number;
  readonly shadowWithoutLog: number;
  readonly clicks: number;
  /** How often the challenger's choice is the logging model's first choice (Wilson interval). */
  readonly agreement: Estimate;
  /** The logging policy's own CTR on these requests (Wilson interval). */
  readonly loggedCtr: Estimate;
  /**
   * The challenger's CTR estimated from the logs: mean of click * 1[shown = choice] / propensity
   * (inverse propensity weighting), with a normal interval from its standard error; unbiased
   * when every choice the challenger makes had a positive logged propensity.
   */
  readonly ips: Estimate & { readonly standardError: number; readonly supported: number };
  /** Self-normalised IPS: lower variance, slightly biased. */
  readonly snips: number;
  readonly scores: { readonly logged: ScoreSummary | undefined; readonly shadow: ScoreSummary | undefined; readonly ks: KsResult | undefined };
  readonly confidence: number;
}

export function evaluateOffline(
  logged: ReadonlyMap<string, LoggedDecision>,
  shadow: ReadonlyMap<string, ShadowDecision>,
  clicked: ReadonlySet<string>,
  confidence = 0.95,
): OfflineEvaluation {
  let matched = 0;
  let agreements = 0;
  let clicks = 0;
  let supported = 0;
  let sum = 0;
  let sumSquares = 0;
  let weights = 0;
  const loggedScores: number[] = [];
  const shadowScores: number[] = [];
  for (const decision of logged.values()) {
    const challenger = shadow.get(decision.requestId);
    if (challenger === undefined) continue;
    matched++;
    const click = clicked.has(decision.requestId) ? 1 : 0;
    clicks += click;
    if (challenger.choice === decision.top) agreements++;
    let term = 0;
    if (challenger.choice === decision.shown) {
      supported++;
      term = click / decision.propensity;
      weights += 1 / decision.propensity;
    }
    sum += term;
    sumSquares += term * term;
    if (decision.score !== undefined) loggedScores.push(decision.score);
    if (challenger.score !== undefined) shadowScores.push(challenger.score);
  }
  const z = twoSidedCriticalValue(confidence);
  const mean = matched === 0 ? 0 : sum / matched;
  const variance = matched < 2 ? 0 : (sumSquares - matched * mean * mean) / (matched - 1);
  const standardError = matched === 0 ? 0 : Math.sqrt(Math.max(0, variance) / matched);
  const proportion = (successes: number): Estimate => {
    if (matched === 0) return { value: 0, low: 0, high: 1 };
    const interval = wilsonInterval(successes, matched, confidence);
    return { value: successes / matched, low: interval.low, high: interval.high };
  };
  return {
    matched,
    loggedWithoutShadow: logged.size - matched,
    shadowWithoutLog: [...shadow.keys()].filter((id) => !logged.has(id)).length,
    clicks,
    agreement: proportion(agreements),
    loggedCtr: proportion(clicks),
    ips: { value: mean, low: Math.max(0, mean - z * standardError), high: mean + z * standardError, standardError, supported },
    snips: weights === 0 ? 0 : sum / weights,
    scores: {
      logged: summarise(loggedScores),
      shadow: summarise(shadowScores),
      ks: loggedScores.length > 0 && shadowScores.length > 0 ? kolmogorovSmirnov(loggedScores, shadowScores) : undefined,
    },
    confidence,
  };
}

function summarise(values: readonly number[]): ScoreSummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const quantile = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { count: sorted.length, mean: sorted.reduce((total, value) => total + value, 0) / sorted.length, p10: quantile(0.1), p50: quantile(0.5), p90: quantile(0.9) };
}
