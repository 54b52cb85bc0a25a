import type { CtrReport } from './ctr-report.js';

/** The report as `--json` prints it (the shape is documented on CtrReport); non-finite numbers become null. */
export function formatCtrJson(report: CtrReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
