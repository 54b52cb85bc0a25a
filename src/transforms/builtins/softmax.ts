import { z } from 'zod';
import type { TransformFunction } from '../transform-function.js';
import { compiledTransform, FieldName, numberArrayField, withFields } from './builtin-support.js';

export const SoftmaxOptions = z.strictObject({ field: FieldName, output: FieldName.optional() });
export type SoftmaxOptions = z.output<typeof SoftmaxOptions>;

/** Probabilities from logits; subtracting the max keeps `exp` from overflowing on large logits. */
export function softmax(logits: readonly number[]): number[] {
  if (logits.length === 0) return [];
  const max = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp(logit - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/** `softmax`: a numeric array field -> probabilities, written to `output` (default: the field itself). */
export function softmaxTransform(): TransformFunction {
  return compiledTransform('softmax', SoftmaxOptions, (options) => {
    const output = options.output ?? options.field;
    return (record) => withFields(record, { [output]: softmax(numberArrayField(record, options.field)) });
  });
}
