import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { murmur2, partitionForKey } from '../../src/routing/partitioner.js';

test('partitionForKey picks the partition kafkajs (and the Java client) pick for a key', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  for (const partitions of [1, 2, 3, 6, 7, 12, 100]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    for (let index = 0; index < 500; index++) {
      const key = index % 5 === 0 ? `user-${index}-ünïcode-${'x'.repeat(index % 7)}` : `k${index}`;
      const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
      assert.equal(partitionForKey(key, partitions), expected, `key ${key}, ${partitions} partitions`);
    }
  }
});

test('murmur2 matches values of the Java client for known inputs', () => {
  // Values from org.apache.kafka.common.utils.Utils.murmur2 (Kafka's own UtilsTest).
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.equal(murmur2(Buffer.from([97, 98, 99])), 479470107);
});
