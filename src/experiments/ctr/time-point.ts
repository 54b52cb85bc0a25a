import { parseDuration } from './duration.js';

/**
 * Where a read starts or stops (`--from`, `--to`): a point in time, or an offset (the same offset
 * on every partition, mostly useful for a one-partition replay).
 *
 * Accepted text: an ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T12:00:00Z`; without a
 * zone, UTC), a time relative to now (`-2h`, `-30m`, `-7d`), `now`, or `offset:N`.
 */
export type TimePoint =
  | { readonly kind: 'timestamp'; readonly ms: number }
  | { readonly kind: 'offset'; readonly offset: string };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The point `text` names, with relative times counted back from `now`; undefined when it names none. */
export function parseTimePoint(text: string, now: number): TimePoint | undefined {
  const trimmed = text.trim();
  if (trimmed === 'now') return { kind: 'timestamp', ms: now };
  const offset = /^offset:(\d+)$/.exec(trimmed);
  if (offset !== null) return { kind: 'offset', offset: BigInt(offset[1] ?? '0').toString() };
  if (trimmed.startsWith('-')) {
    const back = parseDuration(trimmed.slice(1));
    return back === undefined ? undefined : { kind: 'timestamp', ms: now - back };
  }
  if (!ISO_DATE.test(trimmed)) return undefined;
  // A date-time without a zone is read as UTC, never as the machine's local time.
  const zoned = /T|\s/.test(trimmed) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? `${trimmed.replace(' ', 'T')}Z` : trimmed.replace(' ', 'T');
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? { kind: 'timestamp', ms } : undefined;
}

/** How a point is shown in reports: an ISO timestamp or `offset:N`. */
export function formatTimePoint(point: TimePoint | undefined): string | null {
  if (point === undefined) return null;
  return point.kind === 'timestamp' ? new Date(point.ms).toISOString() : `offset:${point.offset}`;
}
