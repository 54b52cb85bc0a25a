import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { compiledTransform, FieldName } from './builtin-support.js';

export const RenameOptions = z
  .strictObject({ fields: z.record(FieldName, FieldName) })
  .superRefine((options, ctx) => {
    const olds = Object.keys(options.fields);
    if (olds.length === 0) ctx.addIssue({ code: 'custom', path: ['fields'], message: 'must rename at least one field' });
    // Two fields renamed to one name would lose one of them.
    const seen = new Map<string, string>();
    for (const [from, to] of Object.entries(options.fields)) {
      const other = seen.get(to);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['fields', from], message: `"${other}" is also renamed to "${to}"` });
      seen.set(to, from);
    }
  });
export type RenameOptions = z.output<typeof RenameOptions>;

/** `rename`: old -> new field names, in place (key order kept); other fields are kept. */
export function renameTransform(): TransformFunction {
  return compiledTransform('rename', RenameOptions, (options) => {
    const renames = new Map(Object.entries(options.fields));
    return (record) => {
      for (const [from, to] of renames) {
        if (!Object.hasOwn(record, from)) throw new Error(`field "${from}" is missing`);
        // Overwriting a field that is not itself renamed away would lose data silently.
        if (Object.hasOwn(record, to) && !renames.has(to)) throw new Error(`field "${to}" already exists (renaming "${from}")`);
      }
      return Object.fromEntries(Object.entries(record).map(([name, value]) => [renames.get(name) ?? name, value]));
    };
  });
}
