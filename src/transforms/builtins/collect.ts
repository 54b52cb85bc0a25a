import { z } from 'zod';
import { ErrorCode, KascadeError } from '../../errors.js';
import type { TransformFunction } from '../transform-function.js';
import { asRecord, FieldName, numberField, requireField, type RecordValue } from './builtin-support.js';

export const CollectOptions = z.strictObject({
  /** The array field of the collected record. */
  as: FieldName.default('items'),
  /** Fields copied once, from the item with index 0, onto the collected record (the request's own fields). */
  keep: z.array(FieldName).default([]),
  /** Fields of each item kept in the array; by default all but `keep` and `count`. */
  itemFields: z.array(FieldName).min(1, 'must list at least one field').optional(),
  /** Where an item says which one it is and how many its request has (what `explode` writes). */
  index: FieldName.default('index'),
  count: FieldName.default('count'),
  /** Orders the items by this numeric field (e.g. a ranker's score); by index when absent. */
  sortBy: FieldName.optional(),
  order: z.enum(['desc', 'asc']).default('desc'),
  /** Keeps only the first `limit` items after sorting. */
  limit: z.number().int('must be an integer').min(1, 'must be at least 1').optional(),
  /** A request still missing items this long after its first one is written as it is, with `complete: false`. */
  timeoutMs: z.number().int('must be an integer').min(1, 'must be at least 1').default(30_000),
});
export type CollectOptions = z.output<typeof CollectOptions>;

/** What became of one item: it completed its request, waits for the others, or arrived for a request already written. */
export type CollectStep<Origin> =
  | { readonly kind: 'complete'; readonly value: Record<string, unknown>; readonly origin: Origin }
  | { readonly kind: 'held' }
  | { readonly kind: 'late' };

export interface ExpiredRequest<Origin> {
  readonly requestId: string;
  readonly value: Record<string, unknown>;
  /** The last item that arrived: what the collected record's lineage comes from. */
  readonly origin: Origin;
}

interface Item<Origin> {
  readonly value: RecordValue;
  readonly origin: Origin;
}

interface Group<Origin> {
  readonly firstOffset: bigint;
  readonly expected: number;
  readonly deadline: number;
  readonly items: Map<number, Item<Origin>>;
  last: Origin;
}

/**
 * `collect`, the inverse of `explode`: gathers the items of one request (same request id, one
 * input partition) back into one record once all `count` have arrived, or when `timeoutMs` has
 * passed since the first.
 *
 * Items of one request travel in index order on one partition (explode keeps the record's key),
 * and a stage never commits past the first item of a request it still holds (`firstHeldOffset`).
 * So after a restart or rebalance, an item with index > 0 of a request this collector never saw
 * belongs to one whose index-0 item lies before the committed offset: a request already written.
 * Such items are `late` and dropped, which keeps re-reads from writing half requests.
 */
export class Collector<Origin> {
  private groups = new Map<string, Group<Origin>>();
  private readonly keep: ReadonlySet<string>;

  constructor(private readonly options: CollectOptions) {
    this.keep = new Set(options.keep);
  }

  get held(): number {
    return this.groups.size;
  }

  /** Adds one item read at `offset`; throws (a record-level error) when the item is not one. */
  add(input: unknown, requestId: string, offset: bigint, now: number, origin: Origin): CollectStep<Origin> {
    const item = asRecord(input);
    const { index, count } = this.position(item);
    // Checked here, on arrival, so that a bad item is dead-lettered alone and never spoils its request's record.
    if (this.options.sortBy !== undefined) numberField(item, this.options.sortBy);
    for (const field of this.options.itemFields ?? []) requireField(item, field);
    if (index === 0) for (const field of this.options.keep) requireField(item, field);
    let group = this.groups.get(requestId);
    if (group === undefined) {
      if (index !== 0) return { kind: 'late' };
      group = { firstOffset: offset, expected: count, deadline: now + this.options.timeoutMs, items: new Map(), last: origin };
      this.groups.set(requestId, group);
    } else if (count !== group.expected) {
      throw new Error(`field "${this.options.count}" is ${count} but request ${requestId} started with ${group.expected} items`);
    }
    // A redelivered item (at-least-once upstream) replaces its copy: same index, same request.
    group.items.set(index, { value: item, origin });
    group.last = origin;
    if (group.items.size < group.expected) return { kind: 'held' };
    this.groups.delete(requestId);
    return { kind: 'complete', value: this.collected(group, true), origin };
  }

  /** Requests whose time is up, written as they are (`complete: false`), oldest first. */
  expire(now: number): ExpiredRequest<Origin>[] {
    const expired: ExpiredRequest<Origin>[] = [];
    for (const [requestId, group] of this.groups) {
      if (group.deadline > now) continue;
      this.groups.delete(requestId);
      expired.push({ requestId, value: this.collected(group, false), origin: group.last });
    }
    return expired;
  }

  /** The offset of the oldest held request's first item: nothing from there on may be committed. */
  firstHeldOffset(): bigint | undefined {
    // Offsets grow within a partition and a Map iterates in insertion order: the first group is the oldest.
    for (const group of this.groups.values()) return group.firstOffset;
    return undefined;
  }

  /** A restore point: the chunk being processed may not get written, and then must not count. */
  checkpoint(): () => void {
    const saved = new Map([...this.groups].map(([requestId, group]) => [requestId, { ...group, items: new Map(group.items) }]));
    return () => {
      this.groups = saved;
    };
  }

  clear(): void {
    this.groups.clear();
  }

  private position(item: RecordValue): { index: number; count: number } {
    const count = numberField(item, this.options.count);
    const index = numberField(item, this.options.index);
    if (!Number.isInteger(count) || count < 1) throw new Error(`field "${this.options.count}" must be a positive integer (got ${count})`);
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`field "${this.options.index}" must be an integer in [0, ${count}) (got ${index})`);
    return { index, count };
  }

  private collected(group: Group<Origin>, complete: boolean): Record<string, unknown> {
    const ordered = [...group.items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item.value);
    const first = group.items.get(0)?.value ?? ordered[0] ?? {};
    const top: Record<string, unknown> = {};
    for (const field of this.options.keep) top[field] = first[field];
    let items = ordered;
    const { sortBy } = this.options;
    if (sortBy !== undefined) {
      const sign = this.options.order === 'desc' ? -1 : 1;
      // Array.prototype.sort is stable: equal scores keep index order, so re-runs write the same record.
      items = [...items].sort((a, b) => sign * (Number(a[sortBy]) - Number(b[sortBy])));
    }
    if (this.options.limit !== undefined) items = items.slice(0, this.options.limit);
    return { ...top, [this.options.as]: items.map((item) => this.itemValue(item)), complete };
  }

  private itemValue(item: RecordValue): Record<string, unknown> {
    const { itemFields } = this.options;
    if (itemFields !== undefined) {
      return Object.fromEntries(itemFields.map((field) => [field, item[field]]));
    }
    return Object.fromEntries(Object.entries(item).filter(([field]) => field !== this.options.count && !this.keep.has(field)));
  }
}

/**
 * `collect` keeps state across records, so the runtime runs a `transform` stage naming it with
 * its own handler; the registry entry only makes the name known. Reaching this function means
 * it was used where records are handled one by one (an inference stage's `postprocess`).
 */
export function collectPlaceholder(): TransformFunction {
  return () => {
    throw new KascadeError(ErrorCode.ConfigInvalid, 'transform "collect" gathers records across a stream; use it as a transform stage\'s function, not in postprocess');
  };
}
