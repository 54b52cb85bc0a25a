import type { ArmComparison } from './arm-comparison.js';
import type { ArmReport, CtrReport } from './ctr-report.js';
import { caveatText } from './per-user-interval.js';
import { MIN_LOOK_UNITS } from './sequential-looks.js';
import { formatAlpha, formatCount, formatP, formatPoints, formatRange, formatRate, formatReadRange, formatRelative, formatVerdictAlpha } from './report-format.js';

/** The report as plain text for a terminal: arms, comparisons, click accounting, SRM, verdict and notes. */
export function formatCtrTable(report: CtrReport): string {
  const percent = `${Math.round(report.confidence * 100)}%`;
  const lines: string[] = [`CTR by arm (attribution window ${report.window.text}, ${formatReadRange(report.range)})`, ''];

  lines.push(
    ...alignColumns([
      ['arm', 'role', 'weight', 'impressions', 'clicked', 'units', 'CTR', `${percent} CI (Wilson)`, `${percent} CI (per user)`],
      ...report.arms.map((arm) => [
        arm.name,
        arm.role,
        arm.weight === null ? '-' : String(arm.weight),
        formatCount(arm.impressions),
        formatCount(arm.clicked),
        formatCount(arm.units),
        formatRate(arm.ctr),
        arm.wilson === null ? '-' : formatRange(arm.wilson.low, arm.wilson.high, (value) => formatRate(value)),
        perUserCell(arm),
      ]),
    ]),
  );

  for (const comparison of report.comparisons) lines.push('', ...comparisonLines(comparison, percent));

  const clicks = report.clicks;
  lines.push(
    '',
    `clicks: ${formatCount(clicks.joined)} joined, ${formatCount(clicks.duplicates)} duplicates, ${formatCount(clicks.orphans)} orphans, ` +
      `${formatCount(clicks.late)} late, ${formatCount(clicks.early)} early, ${formatCount(clicks.outOfRange)} out of range, ` +
      `${formatCount(clicks.unreadable)} unreadable, ${formatCount(clicks.outsideTimeRange)} outside the time range (${formatCount(clicks.records)} records)`,
  );
  const impressions = report.impressions;
  lines.push(
    `impressions: ${formatCount(impressions.counted)} counted, ${formatCount(impressions.duplicates)} duplicates, ` +
      `${formatCount(impressions.conflicting)} in two arms, ${formatCount(impressions.unreadable + impressions.withoutRequestId + impressions.withoutArm)} unusable, ` +
      `${formatCount(impressions.outsideTimeRange)} outside the time range (${formatCount(impressions.records)} records)`,
  );
  const srm = report.srm;
  lines.push(
    srm.checked
      ? `SRM (units against weights ${srm.arms.map((arm) => `${arm.name}=${arm.weight}`).join(',')}): chi-square ${srm.chiSquare === null ? 'inf' : srm.chiSquare.toFixed(2)}, ` +
          `p = ${formatP(srm.pValue)}: ${srm.mismatch ? 'MISMATCH' : 'ok'}`
      : srm.reason,
  );
  const detail = report.verdictDetail;
  lines.push(
    '',
    `verdict: ${report.verdict}${detail.arm === null ? '' : ` (${detail.arm})`}: mSPRT at ${formatVerdictAlpha(detail)}, always-valid p = ${formatP(detail.alwaysValidPValue)}` +
      `${detail.decidedAt === null ? '' : `, decided at ${detail.decidedAt}`}; fixed-horizon p = ${formatP(detail.fixedHorizonPValue)}`,
  );
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((note) => `  - ${note}`));
  return `${lines.join('\n')}\n`;
}

/** The per-user interval, and why not to trust it when that is known. */
function perUserCell(arm: ArmReport): string {
  if (arm.clustered === null) return '-';
  const range = formatRange(arm.clustered.low, arm.clustered.high, (value) => formatRate(value));
  return arm.clustered.unreliable === null ? range : `${range} unreliable: ${caveatText(arm.clustered.unreliable, arm.units)}`;
}

function comparisonLines(comparison: ArmComparison, percent: string): string[] {
  const lines = [`${comparison.challenger} vs ${comparison.champion}: ${comparison.verdict}`];
  const absolute = comparison.absoluteLift;
  if (absolute !== null) {
    lines.push(`  absolute lift ${formatPoints(absolute.estimate)} ${percent} CI ${formatRange(absolute.low, absolute.high, (value) => formatPoints(value))}`);
  }
  const relative = comparison.relativeLift;
  if (relative !== null) lines.push(`  relative lift ${formatRelative(relative.estimate)} ${percent} CI ${formatRange(relative.low, relative.high, formatRelative)}`);
  const tests: string[] = [];
  if (comparison.zTest !== null) tests.push(`z-test p = ${formatP(comparison.zTest.pValue)}`);
  if (comparison.clusteredTest !== null) tests.push(`per-user test p = ${formatP(comparison.clusteredTest.pValue)}`);
  if (tests.length > 0) lines.push(`  fixed horizon: ${tests.join(', ')}`);
  const sequential = comparison.msprt;
  if (sequential === null) {
    lines.push(`  mSPRT: no look yet (each arm needs ${MIN_LOOK_UNITS} units, and a click)`);
    return lines;
  }
  lines.push(
    `  mSPRT at alpha ${formatAlpha(sequential.alpha)}: always-valid p = ${formatP(sequential.alwaysValidPValue)}, the lowest over ${formatCount(sequential.looks)} looks` +
      (sequential.crossedAt === null ? '' : `; reached alpha at ${sequential.crossedAt} (reject: the arms differ)`),
    `  last look: likelihood ratio ${sequential.likelihoodRatio === null ? 'inf' : sequential.likelihoodRatio.toPrecision(3)} / threshold ${sequential.threshold.toPrecision(3)}, ` +
      `p = ${formatP(sequential.lastLookPValue)}`,
  );
  return lines;
}

/** Left-aligned text columns, right-aligned numeric ones, two spaces apart. */
function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  const numeric = (index: number): boolean => rows.slice(1).every((row) => /^[-+\d.,%]+$/.test(row[index] ?? ''));
  return rows.map((row) =>
    row
      .map((cell, index) => (numeric(index) ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
