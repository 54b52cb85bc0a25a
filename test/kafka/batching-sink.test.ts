import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Producer, ProducerBatch } from 'kafkajs';
import { BatchingSink } from '../../src/kafka/batching-sink.js';
import { recordBytes } from '../../src/kafka/messages.js';
import { RECORD_BATCH_OVERHEAD } from '../../src/kafka/record-size.js';
import type { OutgoingRecord } from '../../src/runtime/record.js';

/** A producer that records each request and acknowledges it once the test lets it. */
function recordingProducer(): { producer: Producer; requests: ProducerBatch[]; release: () => void } {
  const requests: ProducerBatch[] = [];
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const producer = {
    sendBatch: async (batch: ProducerBatch) => {
      requests.push(batch);
      await gate;
      return [];
    },
  } as unknown as Producer;
  return {
    producer,
    requests,
    release: () => {
      open();
      gate = Promise.resolve();
    },
  };
}

function record(topic: string, id: number): OutgoingRecord {
  return { topic, key: Buffer.from(`k${String(id)}`), value: Buffer.alloc(1000), headers: [['id', String(id)]] };
}

test("sends queued while a request is in flight are merged into the next one only as far as each topic's max.message.bytes allows", async () => {
  const { producer, requests, release } = recordingProducer();
  const limits = new Map([['small', 4096]]);
  const sink = new BatchingSink(producer, (topic) => limits.get(topic));
  const first = sink.send([record('small', 0)]);
  // While the first request waits for its acknowledgement, eight more sends of one record each queue up.
  const queued = Array.from({ length: 8 }, (_, index) => sink.send([record(index % 2 === 0 ? 'small' : 'big', index + 1)]));
  release();
  await Promise.all([first, ...queued]);

  const perRequest = requests.map((request) => (request.topicMessages ?? []).map((entry) => `${entry.topic}:${entry.messages.map((message) => String(message.headers?.['id'])).join(',')}`));
  const smallLimit = Math.floor((4096 - RECORD_BATCH_OVERHEAD) / recordBytes(record('small', 0)));
  assert.equal(smallLimit, 3);
  // The fourth record of the small topic would not fit: the request ends before it, so order is kept.
  assert.deepEqual(perRequest, [['small:0'], ['small:1,3,5', 'big:2,4,6'], ['small:7', 'big:8']]);
});

test('without limits, everything queued goes out as one request', async () => {
  const { producer, requests, release } = recordingProducer();
  const sink = new BatchingSink(producer);
  const first = sink.send([record('small', 0)]);
  const queued = Array.from({ length: 6 }, (_, index) => sink.send([record('small', index + 1)]));
  release();
  await Promise.all([first, ...queued]);
  assert.equal(requests.length, 2);
  assert.equal(requests[1]?.topicMessages?.[0]?.messages.length, 6);
});

test('after a failed request the producer is replaced before the next one, and only then', async () => {
  const sent: string[] = [];
  const producerNamed = (name: string, fails: boolean): Producer =>
    ({
      sendBatch: (batch: ProducerBatch) => {
        sent.push(`${name}:${String(batch.topicMessages?.[0]?.messages.length)}`);
        return fails ? Promise.reject(new Error('The broker received an out of order sequence number')) : Promise.resolve([]);
      },
      disconnect: () => Promise.resolve(),
    }) as unknown as Producer;
  const first = producerNamed('first', true);
  const renewed: Producer[] = [];
  const sink = new BatchingSink(first, undefined, (failed) => {
    renewed.push(failed);
    return Promise.resolve(producerNamed(`second-${String(renewed.length)}`, false));
  });
  await assert.rejects(sink.send([record('t', 0)]), /producing 1 batches failed: The broker received an out of order sequence number/);
  await sink.send([record('t', 1), record('t', 2)]);
  await sink.send([record('t', 3)]);
  assert.deepEqual(sent, ['first:1', 'second-1:2', 'second-1:1']);
  assert.deepEqual(renewed, [first]);
});
