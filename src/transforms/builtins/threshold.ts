import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { compiledTransform, FieldName, numberField } from './builtin-support.js';

export const ThresholdOptions = z
  .strictObject({ field: FieldName, min: z.number().optional(), max: z.number().optional() })
  .superRefine((options, ctx) => {
    // Without a bound the stage would pass everything: almost certainly a mistake.
    if (options.min === undefined && options.max === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'set min, max or both' });
    if (options.min !== undefined && options.max !== undefined && options.min > options.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `must be at least options.min (${options.min})` });
    }
  });
export type ThresholdOptions = z.output<typeof ThresholdOptions>;

/** `threshold`: keeps records whose numeric field is in [min, max] (inclusive), drops the rest. */
export function thresholdTransform(): TransformFunction {
  return compiledTransform('threshold', ThresholdOptions, (options) => {
    const min = options.min ?? -Infinity;
    const max = options.max ?? Infinity;
    return (record) => {
      const value = numberField(record, options.field);
      return value >= min && value <= max ? { ...record } : null;
    };
  });
}
