import type { OnnxSessionSpec } from '../../topology/spec.js';
import type { WorkerSessionOptions } from './worker-protocol.js';

/**
 * onnxruntime session options from a topology's `session:` block.
 *
 * - intraOpThreads -> intraOpNumThreads, default 1: parallelism comes from the worker threads
 *   (one session per worker), so each worker computing with one core keeps workers from
 *   competing for the same cores (on 2 cores: one worker, one core, one core left for Kafka I/O).
 * - interOpThreads -> interOpNumThreads, and executionMode 'parallel' when it is above 1:
 *   onnxruntime ignores inter-op threads in its default sequential mode, so asking for them
 *   without parallel mode would silently do nothing.
 * - graphOptimizationLevel as it is (onnxruntime's own default, 'all', when absent).
 */
export function toSessionOptions(spec: OnnxSessionSpec = {}): WorkerSessionOptions {
  const interOp = spec.interOpThreads;
  return {
    intraOpNumThreads: spec.intraOpThreads ?? 1,
    ...(interOp !== undefined && { interOpNumThreads: interOp, executionMode: interOp > 1 ? 'parallel' : 'sequential' }),
    ...(spec.graphOptimizationLevel !== undefined && { graphOptimizationLevel: spec.graphOptimizationLevel }),
  };
}
