/** Durations as users write them on the command line: `24h`, `30m`, `7d`, `90s`, `500ms`, `1h30m`. */

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds of a duration such as `24h` or `1h30m`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  // Sticky: every part must start where the previous one ended, so `24x` or `h24` are refused.
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
  let total = 0;
  while (part.lastIndex < trimmed.length) {
    const match = part.exec(trimmed);
    if (match === null) return undefined;
    const unit = UNITS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  return Math.round(total);
}

/** A compact, exact rendering: 86400000 -> `24h`, 5400000 -> `1h30m`, 1500 -> `1s500ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(Math.abs(ms));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', UNITS['d']],
    ['h', UNITS['h']],
    ['m', UNITS['m']],
    ['s', UNITS['s']],
    ['ms', 1],
  ] as const) {
    if (size === undefined) continue;
    // Whole days are shown as hours up to 48h: `24h` reads better than `1d` for a window.
    if (unit === 'd' && rest < 3 * size) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  return `${ms < 0 ? '-' : ''}${parts.join('')}`;
}
