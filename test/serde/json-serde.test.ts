import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { createJsonSerde } from '../../src/serde/json-serde.js';

function fails(code: ErrorCode, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isKascadeError(error), `expected a KascadeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    assert.equal(error.retriable, false);
    return true;
  };
}

test('values round-trip as UTF-8 JSON', async () => {
  const serde = createJsonSerde();
  await serde.init();
  assert.equal(serde.format, 'json');
  const value = { id: 'r-1', text: 'héllo ✓', scores: [0.5, -1, 1e-9], nested: { ok: true, none: null } };
  const bytes = await serde.serialize(value);
  assert.deepEqual(bytes, Buffer.from(JSON.stringify(value), 'utf8'));
  assert.deepEqual(await serde.deserialize(bytes), value);
  for (const scalar of ['text', 42, false, [1, 'two']]) {
    assert.deepEqual(await serde.deserialize(await serde.serialize(scalar)), scalar);
  }
});

test('null is a tombstone; undefined properties are left out; toJSON is honoured', async () => {
  const serde = createJsonSerde();
  assert.equal(await serde.serialize(null), null);
  assert.equal((await serde.serialize({ a: 1, b: undefined }))!.toString(), '{"a":1}');
  assert.equal((await serde.serialize({ at: new Date(Date.UTC(2024, 0, 2)) }))!.toString(), '{"at":"2024-01-02T00:00:00.000Z"}');
  // The JSON text "null" is a value, not a tombstone.
  assert.equal(await serde.deserialize(Buffer.from('null')), null);
});

test('bytes that are not JSON are DecodeFailed with the parser message', async () => {
  const serde = createJsonSerde();
  await assert.rejects(serde.deserialize(Buffer.from('{"id": ')), fails(ErrorCode.DecodeFailed, /^value is not valid JSON: .*(Unexpected end of JSON input|JSON)/));
  await assert.rejects(serde.deserialize(Buffer.from('{id: 1}')), fails(ErrorCode.DecodeFailed, /^value is not valid JSON: .*property name/));
  // An empty value says so: the parser's "Unexpected end of JSON input" would hide it.
  await assert.rejects(serde.deserialize(Buffer.alloc(0)), fails(ErrorCode.DecodeFailed, /^value is empty \(0 bytes\): not JSON$/));
  // Confluent Avro on a JSON topic: magic byte 0 then binary.
  await assert.rejects(serde.deserialize(Buffer.from([0, 0, 0, 0, 1, 2, 0x61])), fails(ErrorCode.DecodeFailed, /^value is not valid JSON/));
  await assert.rejects(serde.deserialize(Buffer.from([0x22, 0xff, 0x22])), fails(ErrorCode.DecodeFailed, /^value is not valid UTF-8, so not JSON$/));
  await assert.rejects(serde.deserialize(null), fails(ErrorCode.DecodeFailed, /^record has no value \(a tombstone\)/));
});

test('numbers beyond the double range parse to ±Infinity (tensor mapping then rejects them), never to an error here', async () => {
  const serde = createJsonSerde();
  assert.deepEqual(await serde.deserialize(Buffer.from('{"features":[1e400,-1e400]}')), { features: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] });
});

test('values JSON cannot represent are EncodeFailed naming where they are', async () => {
  const serde = createJsonSerde();
  const cyclic: Record<string, unknown> = { id: 'x' };
  cyclic['self'] = cyclic;
  const cases: ReadonlyArray<readonly [unknown, RegExp]> = [
    [{ a: { b: 10n } }, /^value cannot be written as JSON: \$\.a\.b is a bigint \(10\), which JSON cannot represent$/],
    [{ items: [1, { f: () => 1 }] }, /\$\.items\[1\]\.f is a function/],
    [{ s: Symbol('x') }, /\$\.s is a symbol/],
    [{ score: Number.NaN }, /\$\.score is NaN/],
    [[1, Number.POSITIVE_INFINITY], /\$\[1\] is Infinity/],
    [{ m: new Map([['a', 1]]) }, /\$\.m is a Map/],
    [new Set([1]), /\$ is a Set/],
    [() => 1, /\$ is a function/],
    [1n, /\$ is a bigint/],
    [cyclic, /^value cannot be written as JSON: Converting circular structure to JSON.*'self'/s],
    [undefined, /^value is undefined: JSON has no representation for it$/],
    [{ toJSON: () => undefined }, /JSON\.stringify returned nothing/],
  ];
  for (const [value, pattern] of cases) {
    await assert.rejects(serde.serialize(value), fails(ErrorCode.EncodeFailed, pattern), pattern.source);
  }
});
