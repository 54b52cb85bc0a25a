/** Number formatting shared by the terminal and HTML reports. */

/** 12345 -> `12,345`. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A rate as a percentage with enough digits to tell arms apart: 0.031234 -> `3.123%`. */
export function formatRate(value: number | null, digits = 3): string {
  return value === null ? '-' : `${(value * 100).toFixed(digits)}%`;
}

/** A difference of rates in percentage points, signed: 0.0036 -> `+0.360 pp`. */
export function formatPoints(value: number, digits = 3): string {
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(digits)} pp`;
}

/** A relative change, signed: 0.116 -> `+11.6%`. */
export function formatRelative(value: number): string {
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
}

/** A significance level: at most 3 significant digits, no trailing zeros (0.05, 0.025, 0.0167). */
export function formatAlpha(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** The alpha a verdict was tested at: `alpha 0.05`, or with several comparisons `alpha 0.025 per comparison (0.05 over 2 challengers)`. */
export function formatVerdictAlpha(detail: { readonly alpha: number; readonly comparisonAlpha: number; readonly comparisons: number }): string {
  if (detail.comparisons <= 1) return `alpha ${formatAlpha(detail.alpha)}`;
  return `alpha ${formatAlpha(detail.comparisonAlpha)} per comparison (${formatAlpha(detail.alpha)} over ${detail.comparisons} challengers)`;
}

/** A p-value: 3 significant digits, `<1e-12` below that. */
export function formatP(value: number | null): string {
  if (value === null) return '-';
  if (value < 1e-12) return '<1e-12';
  return value >= 0.001 ? value.toFixed(3) : value.toExponential(2);
}

/** The range read: `whole topics`, or its bounds, `by event time` when one is a time (not `offset:N`). */
export function formatReadRange(range: { readonly from: string | null; readonly to: string | null }): string {
  if (range.from === null && range.to === null) return 'whole topics';
  const byEventTime = [range.from, range.to].some((bound) => bound !== null && !bound.startsWith('offset:'));
  return `${range.from ?? 'start'} .. ${range.to ?? 'end'}${byEventTime ? ' by event time' : ''}`;
}

/** `[low, high]` of two rates. */
export function formatRange(low: number, high: number, format: (value: number) => string): string {
  return `[${format(low)}, ${format(high)}]`;
}
