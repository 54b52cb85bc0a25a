/**
 * Champion versus challenger on a per-impression CTR: the pooled two-proportion z-test and
 * intervals for the absolute and relative lift. Arm 1 is the champion, arm 2 the challenger;
 * every sign here is challenger minus champion, so a positive z or lift means the challenger
 * clicks better. These treat impressions as independent; when a user sees many impressions,
 * use delta-method.ts instead.
 */
import { requireProportion } from './argument-checks.js';
import { twoSidedCriticalValue, twoSidedPValue } from './normal.js';

export interface ZTestResult {
  /** (p2 - p1) / pooled standard error; positive when the challenger's rate is higher. */
  readonly z: number;
  /** Two-sided. */
  readonly pValue: number;
}

export interface LiftInterval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

export interface AbsoluteLiftInterval extends LiftInterval {
  /** The unpooled (Wald) standard error of p2 - p1; its square is the variance msprt() wants. */
  readonly standardError: number;
}

function checkArms(x1: number, n1: number, x2: number, n2: number): void {
  requireProportion('x1', x1, 'n1', n1);
  requireProportion('x2', x2, 'n2', n2);
}

function requireTrials(n1: number, n2: number): void {
  if (n1 === 0 || n2 === 0) throw new RangeError(`both arms need trials for a lift, got n1 = ${n1}, n2 = ${n2}`);
}

/**
 * Two-sided z-test of H0: p1 = p2 with the pooled standard error, as statsmodels
 * `proportions_ztest([x2, x1], [n2, n1])` (arguments in that order for our sign):
 *   p = (x1 + x2)/(n1 + n2),  SE = √(p(1-p)(1/n1 + 1/n2)),  z = (x2/n2 - x1/n1) / SE.
 * When the pooled SE is 0 (an arm without trials, or no/all successes in both arms, so the
 * rates are equal) there is no evidence of a difference: z = 0, p = 1.
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ZTestResult {
  checkArms(x1, n1, x2, n2);
  if (n1 === 0 || n2 === 0) return { z: 0, pValue: 1 };
  const pooled = (x1 + x2) / (n1 + n2);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (standardError === 0) return { z: 0, pValue: 1 };
  const z = (x2 / n2 - x1 / n1) / standardError;
  return { z, pValue: twoSidedPValue(z) };
}

/**
 * p2 - p1 with the unpooled Wald interval (statsmodels `confint_proportions_2indep(x2, n2, x1,
 * n1, method='wald', compare='diff')`):
 *   SE = √(p1(1-p1)/n1 + p2(1-p2)/n2),  estimate ± z·SE.
 * The interval is degenerate ([0, 0]) when both rates are 0 or 1, as Wald intervals are.
 * Throws RangeError when an arm has no trials (its rate is undefined).
 */
export function absoluteLift(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): AbsoluteLiftInterval {
  checkArms(x1, n1, x2, n2);
  const z = twoSidedCriticalValue(confidence);
  requireTrials(n1, n2);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const estimate = p2 - p1;
  const standardError = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return { estimate, low: estimate - z * standardError, high: estimate + z * standardError, standardError };
}

/**
 * p2/p1 - 1 with the delta-method interval on the log of the ratio, exponentiated (statsmodels
 * `confint_proportions_2indep(x2, n2, x1, n1, method='log', compare='ratio')`, minus 1):
 *   Var(log(p2/p1)) ≈ (1-p1)/x1 + (1-p2)/x2,  interval exp(log(p2/p1) ± z·√Var) - 1.
 * The log needs clicks in both arms: throws RangeError when x1 or x2 is 0 (or an arm has no
 * trials); show absoluteLift until then.
 */
export function relativeLift(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): LiftInterval {
  checkArms(x1, n1, x2, n2);
  const z = twoSidedCriticalValue(confidence);
  requireTrials(n1, n2);
  if (x1 === 0 || x2 === 0) throw new RangeError(`a relative lift needs successes in both arms, got x1 = ${x1}, x2 = ${x2}`);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const logRatio = Math.log(p2 / p1);
  const standardError = Math.sqrt((1 - p1) / x1 + (1 - p2) / x2);
  return {
    estimate: p2 / p1 - 1,
    low: Math.expm1(logRatio - z * standardError),
    high: Math.expm1(logRatio + z * standardError),
  };
}
