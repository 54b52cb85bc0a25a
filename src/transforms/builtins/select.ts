import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { compiledTransform, FieldName } from './builtin-support.js';

export const SelectOptions = z
  .strictObject({
    fields: z.array(FieldName).min(1, 'must list at least one field'),
    optional: z.array(FieldName).optional(),
  })
  .superRefine((options, ctx) => {
    // An optional field that is not selected would be silently ignored: a typo, surely.
    options.optional?.forEach((name, index) => {
      if (!options.fields.includes(name)) ctx.addIssue({ code: 'custom', path: ['optional', index], message: `"${name}" is not in options.fields` });
    });
  });
export type SelectOptions = z.output<typeof SelectOptions>;

/** `select`: keeps only `fields` (in that order); a missing field is an error unless `optional` lists it. */
export function selectTransform(): TransformFunction {
  return compiledTransform('select', SelectOptions, (options) => {
    const optional = new Set(options.optional);
    return (record) => {
      const entries: [string, unknown][] = [];
      for (const name of options.fields) {
        if (Object.hasOwn(record, name)) entries.push([name, record[name]]);
        else if (!optional.has(name)) throw new Error(`field "${name}" is missing`);
      }
      return Object.fromEntries(entries);
    };
  });
}
