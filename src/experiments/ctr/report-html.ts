import { wilsonInterval } from '../statistics/wilson.js';
import type { ArmReport, CtrReport } from './ctr-report.js';
import { formatDuration } from './duration.js';
import { caveatText } from './per-user-interval.js';
import { formatAlpha, formatCount, formatP, formatPoints, formatRange, formatRate, formatReadRange, formatRelative, formatVerdictAlpha } from './report-format.js';

/**
 * The report as one self-contained HTML file: inline CSS and inline SVG, no scripts, fonts,
 * images or links to anything outside the file (it opens the same offline, from a mail
 * attachment or a CI artifact). Every text from the data is escaped.
 */
export function formatCtrHtml(report: CtrReport): string {
  const percent = `${Math.round(report.confidence * 100)}%`;
  const title = `CTR: ${report.arms.map((arm) => arm.name).join(' vs ')}`;
  const clicks = report.clicks;
  const impressions = report.impressions;
  const srm = report.srm;
  const detail = report.verdictDetail;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #1d2330; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #dde1e8; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 1.15em; padding: 0.6em 0.9em; border-radius: 6px; background: #eef2f8; display: inline-block; }
.challenger-better { background: #e3f5e6; } .champion-better { background: #fbeaea; }
.muted { color: #5d6577; } ul.notes li { margin: 0.2em 0; }
svg text { font: 11px system-ui, sans-serif; fill: #3d4454; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Generated ${escapeHtml(report.generatedAt)} &middot; attribution window ${escapeHtml(report.window.text)} &middot; ${escapeHtml(formatReadRange(report.range))} &middot; ${percent} intervals</p>
<p class="verdict ${escapeHtml(report.verdict)}">Verdict: <strong>${escapeHtml(report.verdict)}</strong>${detail.arm === null ? '' : ` (${escapeHtml(detail.arm)})`}
<span class="muted">&middot; mSPRT at ${formatVerdictAlpha(detail)}, always-valid p = ${formatP(detail.alwaysValidPValue)}${detail.decidedAt === null ? '' : `, decided at ${escapeHtml(detail.decidedAt)}`} &middot; fixed-horizon p = ${formatP(detail.fixedHorizonPValue)}</span></p>

<h2>Arms</h2>
<table>
<tr><th>arm</th><th>role</th><th>topic</th><th>weight</th><th>impressions</th><th>clicked</th><th>units</th><th>CTR</th><th>${percent} CI (Wilson)</th><th>${percent} CI (per user)</th></tr>
${report.arms
  .map(
    (arm) =>
      `<tr><td>${escapeHtml(arm.name)}</td><td>${arm.role}</td><td>${escapeHtml(arm.topic ?? '-')}</td><td class="n">${arm.weight ?? '-'}</td>` +
      `<td class="n">${formatCount(arm.impressions)}</td><td class="n">${formatCount(arm.clicked)}</td><td class="n">${formatCount(arm.units)}</td>` +
      `<td class="n">${formatRate(arm.ctr)}</td><td class="n">${arm.wilson === null ? '-' : formatRange(arm.wilson.low, arm.wilson.high, (value) => formatRate(value))}</td>` +
      `<td class="n">${perUserCell(arm)}</td></tr>`,
  )
  .join('\n')}
</table>

<h2>Comparisons</h2>
<table>
<tr><th>challenger</th><th>absolute lift (${percent} CI)</th><th>relative lift (${percent} CI)</th><th>z-test p</th><th>per-user p</th><th>alpha</th><th>mSPRT always-valid p (lowest over looks)</th><th>last-look p</th><th>looks</th><th>decided at</th><th>verdict</th></tr>
${report.comparisons
  .map((comparison) => {
    const absolute = comparison.absoluteLift;
    const relative = comparison.relativeLift;
    return (
      `<tr><td>${escapeHtml(comparison.challenger)} vs ${escapeHtml(comparison.champion)}</td>` +
      `<td class="n">${absolute === null ? '-' : `${formatPoints(absolute.estimate)} ${formatRange(absolute.low, absolute.high, (value) => formatPoints(value))}`}</td>` +
      `<td class="n">${relative === null ? '-' : `${formatRelative(relative.estimate)} ${formatRange(relative.low, relative.high, formatRelative)}`}</td>` +
      `<td class="n">${formatP(comparison.zTest?.pValue ?? null)}</td><td class="n">${formatP(comparison.clusteredTest?.pValue ?? null)}</td>` +
      `<td class="n">${comparison.msprt === null ? '-' : formatAlpha(comparison.msprt.alpha)}</td>` +
      `<td class="n">${formatP(comparison.msprt?.alwaysValidPValue ?? null)}</td><td class="n">${formatP(comparison.msprt?.lastLookPValue ?? null)}</td>` +
      `<td class="n">${comparison.msprt === null ? '-' : formatCount(comparison.msprt.looks)}</td><td>${escapeHtml(comparison.msprt?.crossedAt ?? '-')}</td><td>${comparison.verdict}</td></tr>`
    );
  })
  .join('\n')}
</table>

<h2>CTR over time</h2>
<p class="muted">Per ${escapeHtml(formatDuration(report.timeline.bucketMs))} bucket of impression time; bands are ${percent} Wilson intervals.</p>
${timelineSvg(report)}

<h2>Records</h2>
<table>
<tr><th>clicks</th><td class="n">${formatCount(clicks.records)} records</td><td>${formatCount(clicks.joined)} joined, ${formatCount(clicks.duplicates)} duplicates, ${formatCount(clicks.orphans)} orphans, ${formatCount(clicks.late)} late, ${formatCount(clicks.early)} early, ${formatCount(clicks.outOfRange)} out of range, ${formatCount(clicks.unreadable)} unreadable, ${formatCount(clicks.outsideTimeRange)} outside the time range</td></tr>
<tr><th>impressions</th><td class="n">${formatCount(impressions.records)} records</td><td>${formatCount(impressions.counted)} counted, ${formatCount(impressions.duplicates)} duplicates, ${formatCount(impressions.conflicting)} in two arms, ${formatCount(impressions.unreadable)} unreadable, ${formatCount(impressions.withoutRequestId)} without request id, ${formatCount(impressions.withoutArm)} without arm, ${formatCount(impressions.outsideTimeRange)} outside the time range; ${formatCount(impressions.unitsInSeveralArms)} units in several arms</td></tr>
<tr><th>sample ratio</th><td colspan="2">${
    srm.checked
      ? `units ${srm.arms.map((arm) => `${escapeHtml(arm.name)} ${formatCount(arm.observed)} (expected ${formatRate(arm.expectedShare, 1)}, observed ${formatRate(arm.observedShare, 1)})`).join(', ')}: p = ${formatP(srm.pValue)}, ${srm.mismatch ? '<strong>MISMATCH</strong>' : 'ok'}`
      : escapeHtml(srm.reason)
  }</td></tr>
</table>
${report.notes.length === 0 ? '' : `<h2>Notes</h2>\n<ul class="notes">\n${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('\n')}\n</ul>`}
</body>
</html>
`;
}

/** The per-user interval, and why not to trust it when that is known. */
function perUserCell(arm: ArmReport): string {
  if (arm.clustered === null) return '-';
  const range = formatRange(arm.clustered.low, arm.clustered.high, (value) => formatRate(value));
  return arm.clustered.unreliable === null ? range : `${range} <span class="muted">unreliable: ${escapeHtml(caveatText(arm.clustered.unreliable, arm.units))}</span>`;
}

const COLORS = ['#2f6fdb', '#d9622b', '#2e9e5b', '#9b4fc9', '#c23b63', '#7a7f2a'];
const WIDTH = 960;
const HEIGHT = 320;
const MARGIN = { left: 64, right: 16, top: 16, bottom: 40 };

/** Each arm's CTR per bucket as a line with its interval as a band; gaps where an arm had no impressions. */
function timelineSvg(report: CtrReport): string {
  const buckets = report.timeline.buckets;
  if (buckets.length === 0) return '<p class="muted">No impressions.</p>';
  const series = report.arms.map((arm, armIndex) =>
    buckets.map((bucket) => {
      const cell = bucket.arms[armIndex] ?? { impressions: 0, clicked: 0 };
      if (cell.impressions === 0) return undefined;
      const interval = wilsonInterval(cell.clicked, cell.impressions, report.confidence);
      return { ctr: cell.clicked / cell.impressions, ...interval, ...cell, arm: arm.name, start: bucket.start };
    }),
  );
  const top = niceCeiling(Math.max(...series.flat().map((point) => point?.high ?? 0), 0.001));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (index: number): number => MARGIN.left + (buckets.length === 1 ? plotWidth / 2 : (index * plotWidth) / (buckets.length - 1));
  const y = (rate: number): number => MARGIN.top + plotHeight * (1 - rate / top);
  const fixed = (value: number): string => value.toFixed(1);

  const parts: string[] = [];
  for (let tick = 0; tick <= 4; tick++) {
    const rate = (top * tick) / 4;
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y(rate))}" y2="${fixed(y(rate))}" stroke="#e3e6ec"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${fixed(y(rate) + 4)}" text-anchor="end">${formatRate(rate, 2)}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 8));
  buckets.forEach((bucket, index) => {
    if (index % labelEvery !== 0) return;
    parts.push(`<text x="${fixed(x(index))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(bucketLabel(bucket.start, report.timeline.bucketMs))}</text>`);
  });
  series.forEach((points, armIndex) => {
    const color = COLORS[armIndex % COLORS.length] ?? '#333';
    for (const run of contiguousRuns(points.map((point, index) => (point === undefined ? undefined : { point, index })))) {
      const upper = run.map(({ point, index }) => `${fixed(x(index))},${fixed(y(point.high))}`);
      const lower = run.map(({ point, index }) => `${fixed(x(index))},${fixed(y(point.low))}`).reverse();
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
      parts.push(`<polyline points="${run.map(({ point, index }) => `${fixed(x(index))},${fixed(y(point.ctr))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    points.forEach((point, index) => {
      if (point === undefined) return;
      const tip = `${point.arm} ${point.start}: CTR ${formatRate(point.ctr)} ${formatRange(point.low, point.high, (value) => formatRate(value))}, ${formatCount(point.clicked)}/${formatCount(point.impressions)}`;
      parts.push(`<circle cx="${fixed(x(index))}" cy="${fixed(y(point.ctr))}" r="3" fill="${color}"><title>${escapeHtml(tip)}</title></circle>`);
    });
    const legendX = MARGIN.left + 10 + armIndex * 160;
    parts.push(`<rect x="${legendX}" y="${MARGIN.top}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${legendX + 18}" y="${MARGIN.top + 10}">${escapeHtml(report.arms[armIndex]?.name ?? '')}</text>`);
  });
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#8a90a0"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#8a90a0"/>`);
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="CTR per arm over time">\n${parts.join('\n')}\n</svg>`;
}

/** Splits a series at its gaps into runs of consecutive defined points. */
function contiguousRuns<T>(items: readonly (T | undefined)[]): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (item === undefined) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else current.push(item);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** The smallest of 1, 2, 2.5, 5 x 10^k at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((candidate) => candidate * power >= value) ?? 10;
  return step * power;
}

/** `05-01 14:00` for buckets under a day, `2024-05-01` otherwise (UTC). */
function bucketLabel(iso: string, bucketMs: number): string {
  return bucketMs >= 86_400_000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, bucketMs < 60_000 ? 19 : 16)}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
