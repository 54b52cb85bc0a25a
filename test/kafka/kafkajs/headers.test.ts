import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headersFromObject, headersToObject } from '../../../src/kafka/kafkajs/headers.js';
import { headersOf, toMessage } from '../../../src/kafka/kafkajs/messages.js';
import type { Headers } from '../../../src/runtime/record.js';

test('a header list becomes a kafkajs headers object: repeats as an array in order, null values left out', () => {
  const headers: Headers = [
    ['a', '1'],
    ['b', Buffer.from([0, 255])],
    ['a', '2'],
    ['gone', null],
    ['c', null],
    ['c', 'kept'],
    ['__proto__', 'own'],
  ];
  const object = headersToObject(headers);
  assert.deepEqual(Object.keys(object), ['a', 'b', 'c', '__proto__']);
  assert.deepEqual(object.a, ['1', '2']);
  assert.deepEqual(object.b, Buffer.from([0, 255]));
  assert.equal(object.c, 'kept');
  assert.equal(Object.getPrototypeOf(object), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(object, '__proto__')?.value, 'own');
});

test('a stock kafkajs message carries the key, value, timestamp, partition and the headers object', () => {
  const key = Buffer.from('k');
  const value = Buffer.from('v');
  assert.deepEqual(toMessage({ topic: 't', key, value, headers: [['h', 'x'], ['h', 'y']], timestamp: '17' }, 3), {
    key,
    value,
    headers: { h: ['x', 'y'] },
    timestamp: '17',
    partition: 3,
  });
  assert.deepEqual(toMessage({ topic: 't', key: null, value: null, headers: [] }), { key: null, value: null, headers: {} });
});

test("a kafkajs headers object read back: each name's values in order, null values kept, names in the object's order", () => {
  const one = Buffer.from('1');
  const two = Buffer.from('2');
  assert.deepEqual(headersFromObject({ a: [one, null, two], b: null, c: one }), [
    ['a', one],
    ['a', null],
    ['a', two],
    ['b', null],
    ['c', one],
  ]);
  assert.deepEqual(headersFromObject(undefined), []);
});

test("a header named after an Object.prototype member, as kafkajs's decoder returns it, keeps only its values", () => {
  // kafkajs finds `headers.constructor` defined (Object) and makes an array starting with it.
  const value = Buffer.from('v');
  const decoded = { constructor: [Object, value], ['__proto__']: [Object.prototype, value] } as unknown as Parameters<typeof headersFromObject>[0];
  assert.deepEqual(headersFromObject(decoded), [
    ['constructor', value],
    ['__proto__', value],
  ]);
  const message = { key: null, value: null, timestamp: '0', attributes: 0, offset: '0', headers: { h: value } };
  assert.deepEqual(headersOf(message), [['h', value]]);
});
