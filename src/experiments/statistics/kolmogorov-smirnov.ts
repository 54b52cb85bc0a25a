/**
 * The two-sample Kolmogorov-Smirnov test: D = sup |F_a(x) - F_b(x)| over the two empirical
 * distribution functions, with the asymptotic p-value of Q_KS(lambda), lambda =
 * (sqrt(n_e) + 0.12 + 0.11 / sqrt(n_e)) * D, n_e = n_a n_b / (n_a + n_b) (Stephens' correction,
 * as in Numerical Recipes' kstwo). Good for samples of a few dozen and up.
 */
export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
}

export function kolmogorovSmirnov(a: readonly number[], b: readonly number[]): KsResult {
  if (a.length === 0 || b.length === 0) throw new RangeError('kolmogorovSmirnov: both samples need at least one value');
  const sortedA = [...a].sort((x, y) => x - y);
  const sortedB = [...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let statistic = 0;
  while (i < sortedA.length && j < sortedB.length) {
    const x = Math.min(sortedA[i] ?? Infinity, sortedB[j] ?? Infinity);
    // Step past every copy of x in both samples, so ties move both functions together.
    while (i < sortedA.length && sortedA[i] === x) i++;
    while (j < sortedB.length && sortedB[j] === x) j++;
    statistic = Math.max(statistic, Math.abs(i / sortedA.length - j / sortedB.length));
  }
  const effective = (sortedA.length * sortedB.length) / (sortedA.length + sortedB.length);
  const root = Math.sqrt(effective);
  return { statistic, pValue: kolmogorovSurvival((root + 0.12 + 0.11 / root) * statistic) };
}

/** Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2), 1 for lambda near 0. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}
