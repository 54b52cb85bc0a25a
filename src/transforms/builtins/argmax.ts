import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { checkLength, compiledTransform, FieldName, numberArrayField, withFields } from './builtin-support.js';

export const ArgmaxOptions = z
  .strictObject({
    field: FieldName,
    output: FieldName.default('label'),
    labels: z.array(z.string()).min(1, 'must list at least one label').optional(),
    scoreOutput: FieldName.default('score'),
  })
  .superRefine((options, ctx) => {
    if (options.output === options.scoreOutput) ctx.addIssue({ code: 'custom', path: ['scoreOutput'], message: `must differ from options.output ("${options.output}")` });
  });
export type ArgmaxOptions = z.output<typeof ArgmaxOptions>;

/** Index of the largest value; ties go to the lowest index so the result is deterministic. */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if ((values[index] ?? -Infinity) > (values[best] ?? -Infinity)) best = index;
  return best;
}

/** `argmax`: adds the winning label (or index) and its score; the array field is kept. */
export function argmaxTransform(): TransformFunction {
  return compiledTransform('argmax', ArgmaxOptions, (options) => (record) => {
    const values = numberArrayField(record, options.field);
    if (values.length === 0) throw new Error(`field "${options.field}" is empty`);
    checkLength(options.field, values, 'labels', options.labels);
    const index = argmax(values);
    return withFields(record, { [options.output]: options.labels?.[index] ?? index, [options.scoreOutput]: values[index] });
  });
}
