import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactCopy } from '../../src/serde/byte-copy.js';

test('a copy holds exactly the range asked for, from a buffer that is itself a window on a larger one, and owns its bytes', () => {
  const backing = Buffer.from('..0123456789..');
  const source = backing.subarray(2, 12); // byteOffset 2 within its ArrayBuffer (and more in Node's pool)
  const copy = exactCopy(source, 3, 7);
  assert.equal(copy.toString(), '3456');
  source[3] = 'x'.charCodeAt(0);
  assert.equal(copy.toString(), '3456');
  assert.equal(exactCopy(source, 5, 5).length, 0);
});
