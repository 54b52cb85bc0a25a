import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { checkLength, compiledTransform, FieldName, numberArrayField, withFields } from './builtin-support.js';

export const TopKOptions = z.strictObject({
  field: FieldName,
  k: z.number().int('must be an integer').min(1, 'must be at least 1'),
  ids: z.array(z.string()).min(1, 'must list at least one id').optional(),
  output: FieldName.default('top'),
  /** Also writes the k scores alone as a number array: the input a next model in a cascade takes. */
  scoresOutput: FieldName.optional(),
});
export type TopKOptions = z.output<typeof TopKOptions>;

export interface TopKEntry {
  readonly id: string | number;
  readonly score: number;
}

/** The k best scores, descending; ties by index so re-runs write the same records. */
export function topK(scores: readonly number[], k: number, ids?: readonly string[]): TopKEntry[] {
  return scores
    .map((score, index) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k)
    .map(({ index, score }) => ({ id: ids?.[index] ?? index, score }));
}

/** `top-k`: adds `[{ id, score }]` for the k highest scores (fewer when the array is shorter), and optionally the scores alone. */
export function topKTransform(): TransformFunction {
  return compiledTransform('top-k', TopKOptions, (options) => (record) => {
    const scores = numberArrayField(record, options.field);
    checkLength(options.field, scores, 'ids', options.ids);
    const top = topK(scores, options.k, options.ids);
    const scoresOnly = options.scoresOutput === undefined ? {} : { [options.scoresOutput]: top.map((entry) => entry.score) };
    return withFields(record, { [options.output]: top, ...scoresOnly });
  });
}
