import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IHeaders, Message } from 'kafkajs';
import { createProducer } from '../src/kafka/kafkajs/client.js';
import { readTopic, type TopicRecord } from '../src/kafka/operator/topic-reader.js';
import { headerText, type Header } from '../src/runtime/record.js';
import { createTopic, testAccess, testKafka, uniqueName } from './helpers/kafka.js';

const kafka = testKafka('record-encoding');

/** Every kind of record kascade's producer must write as Kafka reads it back. */
function messages(): Message[] {
  const base = Date.now() - 60_000;
  return Array.from({ length: 300 }, (_, index) => {
    const headers: IHeaders = {
      'kascade.request-id': `r-${String(index)}`,
      'kascade.unicode': 'ü-日本-🙂'.repeat(index % 4),
      'kascade.empty': '',
      'kascade.binary': Buffer.from([0, 255, index % 256, 10, 13]),
      'kascade.long': 'x'.repeat(index * 7),
    };
    if (index % 5 === 0) headers['kascade.repeated'] = ['one', 'two', Buffer.from('three')];
    return {
      key: index % 7 === 0 ? null : `key-ü-${String(index % 13)}`,
      value: index % 11 === 0 ? null : index % 3 === 0 ? Buffer.from([index % 256, 0, 1]) : JSON.stringify({ index, text: 'é'.repeat(index) }),
      headers,
      // Out of order on purpose: negative timestamp deltas within a batch.
      timestamp: String(base + ((index * 7919) % 5000)),
      partition: index % 2,
    };
  });
}

const bytes = (value: Buffer | string | null | undefined): Buffer | null => (value == null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value));

/**
 * The headers as Kafka holds them: in the order of the object's names (as the producer writes
 * them), a repeated name's values in place, every value as bytes.
 */
function headerList(headers: IHeaders = {}): Header[] {
  return Object.entries(headers).flatMap(([name, value]): Header[] => {
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).map((item): Header => [name, bytes(item)]);
  });
}

test('records written through kascade\'s producer read back byte for byte from the broker: null and binary keys and values, unicode, empty, long and repeated headers, out-of-order timestamps', async () => {
  const topic = uniqueName('record-encoding');
  await createTopic(kafka, topic, 2);
  const sent = messages();
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    for (let start = 0; start < sent.length; start += 100) await producer.send({ topic, messages: sent.slice(start, start + 100) });
  } finally {
    await producer.disconnect();
  }

  const received: TopicRecord[] = [];
  await readTopic(testAccess, { topic }, { onRecord: (record) => void received.push(record) });
  assert.equal(received.length, sent.length);

  const byRequest = new Map(received.map((record) => [String(headerText(record.headers, 'kascade.request-id')), record]));
  for (const [index, message] of sent.entries()) {
    const record = byRequest.get(`r-${String(index)}`);
    assert.ok(record !== undefined, `record ${String(index)} arrived`);
    assert.equal(record.partition, message.partition);
    assert.deepEqual(record.key, bytes(message.key), `key of ${String(index)}`);
    assert.deepEqual(record.value, bytes(message.value), `value of ${String(index)}`);
    assert.equal(record.timestamp, Number(message.timestamp), `timestamp of ${String(index)}`);
    assert.deepEqual(record.headers, headerList(message.headers), `headers of ${String(index)}`);
  }
});
