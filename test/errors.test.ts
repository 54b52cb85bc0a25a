import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError, KascadeError } from '../src/errors.js';

test('KascadeError carries code, retriable flag and cause', () => {
  const cause = new Error('ECONNREFUSED');
  const error = new KascadeError(ErrorCode.BrokerUnreachable, 'no broker', { retriable: true, cause });
  assert.equal(error.code, 'KASCADE_BROKER_UNREACHABLE');
  assert.equal(error.retriable, true);
  assert.equal(error.cause, cause);
  assert.ok(error instanceof Error);
});

test('errors are not retriable unless said so', () => {
  assert.equal(new KascadeError(ErrorCode.ConfigInvalid, 'bad').retriable, false);
});

test('isKascadeError narrows by class and optionally by code, never by name', () => {
  const error = new KascadeError(ErrorCode.ConfigInvalid, 'bad');
  assert.ok(isKascadeError(error));
  assert.ok(isKascadeError(error, ErrorCode.ConfigInvalid));
  assert.ok(!isKascadeError(error, ErrorCode.RegistryUnreachable));
  const impostor = Object.assign(new Error('x'), { name: 'KascadeError', code: ErrorCode.ConfigInvalid });
  assert.ok(!isKascadeError(impostor));
});
