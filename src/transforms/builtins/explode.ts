import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { arrayField, compiledTransform, FieldName, withFields } from './builtin-support.js';

export const ExplodeOptions = z
  .strictObject({ field: FieldName, as: FieldName.optional() })
  .superRefine((options, ctx) => {
    // `index` and `count` are written after the element and would overwrite it.
    if (options.as === 'index' || options.as === 'count') ctx.addIssue({ code: 'custom', path: ['as'], message: `"${options.as}" is reserved (index, count)` });
  });
export type ExplodeOptions = z.output<typeof ExplodeOptions>;

/**
 * `explode`: one output per element of an array field: the other fields plus `{ [as]: element,
 * index, count }`, so a downstream stage can regroup by request id and know when it has all.
 */
export function explodeTransform(): TransformFunction {
  return compiledTransform('explode', ExplodeOptions, (options) => {
    const as = options.as ?? options.field;
    return (record) => {
      const elements = arrayField(record, options.field);
      const rest = Object.fromEntries(Object.entries(record).filter(([name]) => name !== options.field));
      return elements.map((element, index) => withFields(rest, { [as]: element, index, count: elements.length }));
    };
  });
}
