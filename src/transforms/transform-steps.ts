import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';
import type { TransformContext, TransformFunction } from './transform-function.js';

/** A transform as a stage runs it: the registered function and the frozen options from the topology. */
export interface TransformStep {
  readonly name: string;
  readonly transform: TransformFunction;
  readonly options: Readonly<Record<string, unknown>>;
}

export function transformStep(name: string, transform: TransformFunction, options: Readonly<Record<string, unknown>> | undefined): TransformStep {
  // Frozen once: built-ins cache what they compile from the options object's identity.
  return { name, transform, options: Object.freeze({ ...options }) };
}

/**
 * Runs `steps` in order on one value: each step's outputs (none, one, or many for an array)
 * feed the next. A step that throws fails the record with TransformFailed; retriable trouble
 * and configuration errors (bad options) are rethrown, as neither is the record's fault.
 */
export async function runTransformSteps(steps: readonly TransformStep[], value: unknown, context: Omit<TransformContext, 'options'>): Promise<unknown[]> {
  let values: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const current of values) {
      let result: unknown;
      try {
        result = await step.transform(current, { ...context, options: step.options });
      } catch (error) {
        if (isKascadeError(error) && (error.retriable || error.code === ErrorCode.ConfigInvalid)) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new KascadeError(ErrorCode.TransformFailed, `transform "${step.name}" threw: ${reason}`, { cause: error });
      }
      if (result === null || result === undefined) continue;
      if (Array.isArray(result)) next.push(...(result as unknown[]));
      else next.push(result);
    }
    values = next;
  }
  return values;
}
