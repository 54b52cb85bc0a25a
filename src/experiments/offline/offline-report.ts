import { escapeHtml } from '../ctr/report-html.js';
import type { Estimate, OfflineEvaluation, ScoreSummary } from './offline-evaluation.js';

/** What `kascade compare` prints: the evaluation plus where it came from. */
export interface OfflineReport {
  readonly topics: { readonly logged: string; readonly shadow: string; readonly clicks: string };
  readonly evaluation: OfflineEvaluation;
}

const percent = (value: number): string => `${(value * 100).toFixed(3)}%`;
const interval = (estimate: Estimate): string => `${percent(estimate.value)}  [${percent(estimate.low)}, ${percent(estimate.high)}]`;
const scores = (summary: ScoreSummary | undefined): string =>
  summary === undefined ? 'n/a' : `mean ${summary.mean.toFixed(4)}  p10 ${summary.p10.toFixed(4)}  p50 ${summary.p50.toFixed(4)}  p90 ${summary.p90.toFixed(4)}  (${summary.count.toLocaleString('en-US')})`;

export function formatOfflineTable(report: OfflineReport): string {
  const { evaluation: e, topics } = report;
  const level = `${Math.round(e.confidence * 100)}%`;
  const lines = [
    `offline evaluation: challenger ${topics.shadow} against the logged ${topics.logged} (clicks ${topics.clicks})`,
    '',
    `requests compared          ${e.matched.toLocaleString('en-US')}   (logged without shadow ${e.loggedWithoutShadow}, shadow without log ${e.shadowWithoutLog})`,
    `agreement (same top choice) ${interval(e.agreement)}`,
    `logged policy CTR           ${interval(e.loggedCtr)}   (${e.clicks.toLocaleString('en-US')} clicks)`,
    `challenger CTR, IPS         ${interval(e.ips)}   (${level} CI, standard error ${percent(e.ips.standardError)}; ${e.ips.supported.toLocaleString('en-US')} logged impressions showed the challenger's choice)`,
    `challenger CTR, SNIPS       ${percent(e.snips)}`,
    '',
    `scores, logged              ${scores(e.scores.logged)}`,
    `scores, challenger          ${scores(e.scores.shadow)}`,
    e.scores.ks === undefined ? 'score shift: n/a (no scores)' : `score shift (KS)            D = ${e.scores.ks.statistic.toFixed(4)}, p = ${e.scores.ks.pValue.toPrecision(3)}`,
  ];
  if (e.ips.supported === 0) lines.push('', 'note: no logged impression showed what the challenger would show: the logging policy must explore (propensity < 1) for IPS to say anything');
  return `${lines.join('\n')}\n`;
}

export function formatOfflineJson(report: OfflineReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A self-contained page: the numbers, and the two score distributions as CDFs. */
export function formatOfflineHtml(report: OfflineReport, loggedScores: readonly number[], shadowScores: readonly number[]): string {
  const rows = formatOfflineTable(report)
    .trimEnd()
    .split('\n')
    .map((line) => `<div>${escapeHtml(line) || '&nbsp;'}</div>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kascade offline evaluation</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}pre,div{font-family:ui-monospace,monospace;white-space:pre}svg{border:1px solid #ddd;margin-top:1em}</style></head>
<body><h1>Offline evaluation</h1>
${rows}
<h2>Score distributions (CDF)</h2>
${cdfChart([
  { label: 'logged', color: '#1f77b4', values: loggedScores },
  { label: 'challenger', color: '#d62728', values: shadowScores },
])}
</body></html>
`;
}

function cdfChart(series: readonly { label: string; color: string; values: readonly number[] }[]): string {
  const all = series.flatMap((entry) => entry.values);
  if (all.length === 0) return '<p>no scores</p>';
  const min = Math.min(...all);
  const max = Math.max(...all);
  const width = 640;
  const height = 320;
  const x = (value: number): number => 40 + ((value - min) / (max - min || 1)) * (width - 60);
  const y = (fraction: number): number => height - 30 - fraction * (height - 50);
  const paths = series.map((entry) => {
    const sorted = [...entry.values].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const points = sorted.filter((_, index) => index % step === 0).map((value, index) => `${x(value).toFixed(1)},${y(Math.min(1, ((index * step + 1) / sorted.length))).toFixed(1)}`);
    return `<polyline fill="none" stroke="${entry.color}" stroke-width="2" points="${points.join(' ')}"><title>${escapeHtml(entry.label)}</title></polyline>`;
  });
  const legend = series.map((entry, index) => `<text x="${50 + index * 120}" y="16" fill="${entry.color}">${escapeHtml(entry.label)}</text>`).join('');
  const axis = `<text x="40" y="${height - 8}">${min.toFixed(3)}</text><text x="${width - 70}" y="${height - 8}">${max.toFixed(3)}</text>`;
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${legend}${axis}${paths.join('')}</svg>`;
}
