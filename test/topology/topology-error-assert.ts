import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { TopologyError } from '../../src/topology/topology-error.js';

/** Runs `fn`, expects a TopologyError and returns it (its message lines are what users read). */
export function catchTopologyError(fn: () => unknown): TopologyError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TopologyError, `expected a TopologyError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.TopologyInvalid);
    return error;
  }
  assert.fail('expected a TopologyError, nothing was thrown');
}

export async function rejectsWithTopologyError(promise: Promise<unknown>): Promise<TopologyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TopologyError, `expected a TopologyError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a TopologyError, the promise resolved');
}

/** The message, one problem per line. */
export function lines(error: TopologyError): string[] {
  return error.message.split('\n');
}
