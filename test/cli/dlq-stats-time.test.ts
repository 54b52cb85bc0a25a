import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStats } from '../../src/cli/commands/dlq.js';
import { DeadLetterStats } from '../../src/runtime/dead-letters/dead-letter-stats.js';

test('dlq stats shows a dead letter whose only time is a Kafka timestamp no Date can hold, instead of failing', () => {
  const stats = new DeadLetterStats();
  // No kascade.error.time header: the record's Kafka timestamp stands in, here one past Date's range.
  stats.add({ partition: 0, offset: '0', headers: [['x', null]] }, 8_640_000_000_000_001);
  stats.add({ partition: 0, offset: '1', headers: [] }, 0);
  const text = formatStats('t.dlq', { stats, spans: [], pending: 0, group: 'g', elapsedMs: 1 });
  assert.match(text, /oldest 1970-01-01T00:00:00\.000Z, newest 8640000000000001 ms/);
});
