import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toSessionOptions } from '../../../src/inference/onnx/session-options.js';

test('one intra-op thread by default: the workers are the parallelism', () => {
  assert.deepEqual(toSessionOptions(), { intraOpNumThreads: 1 });
  assert.deepEqual(toSessionOptions({}), { intraOpNumThreads: 1 });
});

test('topology session settings map onto onnxruntime option names', () => {
  assert.deepEqual(toSessionOptions({ intraOpThreads: 4, graphOptimizationLevel: 'extended' }), {
    intraOpNumThreads: 4,
    graphOptimizationLevel: 'extended',
  });
});

test('inter-op threads switch on parallel execution, without which onnxruntime ignores them', () => {
  assert.deepEqual(toSessionOptions({ interOpThreads: 2 }), { intraOpNumThreads: 1, interOpNumThreads: 2, executionMode: 'parallel' });
  assert.deepEqual(toSessionOptions({ interOpThreads: 1 }), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
});
