import type { Delivery } from './reliability-run.js';

/**
 * `npm test` runs each fault once, under the delivery guarantee it threatens most; the full
 * suite (`npm run test:reliability`, KASCADE_RELIABILITY=full) runs every fault under both.
 */
export const FULL_SUITE = process.env['KASCADE_RELIABILITY'] === 'full';

export function deliveriesFor(primary: Delivery): readonly Delivery[] {
  const other: Delivery = primary === 'exactly-once' ? 'at-least-once' : 'exactly-once';
  return FULL_SUITE ? [primary, other] : [primary];
}
