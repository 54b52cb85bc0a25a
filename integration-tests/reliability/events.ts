import { createHash } from 'node:crypto';

/** A generated input record: unique id, its key, and its place in that key's sequence. */
export interface ReliabilityEvent {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
  readonly features: number[];
  readonly payload: string;
}

/**
 * Events `from` .. `from + count - 1` of a run over `keys` keys: event i has key `k<i mod keys>`
 * and seq `floor(i / keys)`, so each key's events count up 0, 1, 2, ... in generation order.
 * Features are derived from the id (deterministic, in [-1, 1), float32-exact).
 */
export function reliabilityEvents(run: string, from: number, count: number, keys: number): ReliabilityEvent[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = from + offset;
    const id = `${run}-${index}`;
    const digest = createHash('sha256').update(id).digest();
    const features = Array.from({ length: 32 }, (_, feature) => Math.fround((digest[feature] ?? 0) / 128 - 1));
    return { id, key: `k${index % keys}`, seq: Math.floor(index / keys), features, payload: `event ${index} of ${run}` };
  });
}
