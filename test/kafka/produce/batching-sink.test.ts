import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchingSink, type RequestProducer } from '../../../src/kafka/produce/batching-sink.js';
import { recordBytes } from '../../../src/kafka/produce/request-size.js';
import { RECORD_BATCH_OVERHEAD } from '../../../src/kafka/produce/record-size.js';
import { headerText, type OutgoingRecord } from '../../../src/runtime/record.js';

/** A client that records each request (per topic, the ids in order) and acknowledges it once the test lets it. */
function recordingClient(): { client: RequestProducer<string>; requests: string[][]; release: () => void } {
  const requests: string[][] = [];
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const client: RequestProducer<string> = {
    send: async (_producer, records) => {
      const byTopic = new Map<string, string[]>();
      for (const entry of records) byTopic.set(entry.topic, [...(byTopic.get(entry.topic) ?? []), headerText(entry.headers, 'id') ?? '?']);
      requests.push([...byTopic].map(([topic, ids]) => `${topic}:${ids.join(',')}`));
      await gate;
    },
    close: () => Promise.resolve(),
  };
  return {
    client,
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
  const { client, requests, release } = recordingClient();
  const limits = new Map([['small', 4096]]);
  const sink = new BatchingSink('producer', client, (topic) => limits.get(topic));
  const first = sink.send([record('small', 0)]);
  // While the first request waits for its acknowledgement, eight more sends of one record each queue up.
  const queued = Array.from({ length: 8 }, (_, index) => sink.send([record(index % 2 === 0 ? 'small' : 'big', index + 1)]));
  release();
  await Promise.all([first, ...queued]);
  const smallLimit = Math.floor((4096 - RECORD_BATCH_OVERHEAD) / recordBytes(record('small', 0)));
  assert.equal(smallLimit, 3);
  // The fourth record of the small topic would not fit: the request ends before it, so order is kept.
  assert.deepEqual(requests, [['small:0'], ['small:1,3,5', 'big:2,4,6'], ['small:7', 'big:8']]);
});

test('without limits, everything queued goes out as one request, and never two requests at once', async () => {
  const { client, requests, release } = recordingClient();
  const sink = new BatchingSink('producer', client);
  const first = sink.send([record('small', 0)]);
  const queued = Array.from({ length: 6 }, (_, index) => sink.send([record('small', index + 1)]));
  assert.equal(requests.length, 1, 'the queued sends wait for the request in flight');
  release();
  await Promise.all([first, ...queued]);
  assert.deepEqual(requests, [['small:0'], ['small:1,2,3,4,5,6']]);
});

test('after a failed request the producer is replaced before the next one, and only then', async () => {
  const sent: string[] = [];
  const renewed: string[] = [];
  const client: RequestProducer<string> = {
    send: (producer, records) => {
      sent.push(`${producer}:${String(records.length)}`);
      return producer === 'first' ? Promise.reject(new Error('The broker received an out of order sequence number')) : Promise.resolve();
    },
    renew: (failed) => {
      renewed.push(failed);
      return Promise.resolve(`second-${String(renewed.length)}`);
    },
    close: () => Promise.resolve(),
  };
  const sink = new BatchingSink('first', client);
  await assert.rejects(sink.send([record('t', 0)]), /producing 1 batches failed: The broker received an out of order sequence number/);
  await sink.send([record('t', 1), record('t', 2)]);
  await sink.send([record('t', 3)]);
  assert.deepEqual(sent, ['first:1', 'second-1:2', 'second-1:1']);
  assert.deepEqual(renewed, ['first']);
});
