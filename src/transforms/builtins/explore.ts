import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { arrayField, compiledTransform, FieldName, withFields } from './builtin-support.js';

export const ExploreOptions = z.strictObject({
  /** The ranked items, best first (what `collect` writes). */
  field: FieldName.default('items'),
  /** The share of requests shown a uniformly drawn item instead of the first. */
  epsilon: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]'),
  as: FieldName.default('shown'),
  propensity: FieldName.default('propensity'),
  /** Changes the draws without changing the policy (different experiments, independent draws). */
  seed: z.string().default('kascade'),
});
export type ExploreOptions = z.output<typeof ExploreOptions>;

/**
 * `explore`: epsilon-greedy serving with logged propensities, so that other policies can be
 * evaluated offline from the logs (`kascade compare`, inverse propensity weighting). With
 * probability 1 - epsilon the first item is shown, otherwise one drawn uniformly; the record
 * gets the item shown and the probability the policy had of showing it:
 * (1 - epsilon) * [shown is first] + epsilon / n. The draw is a hash of the request id, so a
 * re-run shows the same item.
 */
export function exploreTransform(): TransformFunction {
  return compiledTransform('explore', ExploreOptions, (options) => (record, context) => {
    const items = arrayField(record, options.field);
    if (items.length === 0) throw new Error(`field "${options.field}" is empty: nothing to show`);
    const explore = uniform(options.seed, 'explore', context.requestId) < options.epsilon;
    const index = explore ? Math.min(items.length - 1, Math.floor(uniform(options.seed, 'pick', context.requestId) * items.length)) : 0;
    const propensity = (index === 0 ? 1 - options.epsilon : 0) + options.epsilon / items.length;
    return withFields(record, { [options.as]: items[index], [options.propensity]: propensity });
  });
}

function uniform(seed: string, kind: string, id: string): number {
  return createHash('sha256').update(`${seed}\u0000${kind}\u0000${id}`).digest().readUInt32BE(0) / 2 ** 32;
}
