import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/command.js';
import { formatRedriveSummary, parseRedriveArguments } from '../../src/cli/commands/dlq.js';
import { RedriveTally } from '../../src/runtime/dead-letters/redrive-tally.js';

test('redrive arguments: repeatable and comma-separated filters in any form, the default group, the default limit', () => {
  const options = parseRedriveArguments(['--topic', 'shop.requests.dlq', '--filter', 'decode-failed,KASCADE_SCHEMA_NOT_FOUND', '--filter', 'UNKNOWN_MODEL_KEY']);
  assert.equal(options.topic, 'shop.requests.dlq');
  assert.equal(options.group, 'kascade-dlq-redrive.shop.requests.dlq');
  assert.deepEqual([...options.policy.codes].sort(), ['KASCADE_DECODE_FAILED', 'KASCADE_SCHEMA_NOT_FOUND', 'KASCADE_UNKNOWN_MODEL_KEY']);
  assert.equal(options.policy.maxRedrives, 3);
  assert.equal(options.policy.to, undefined);
  assert.equal(options.dryRun, false);
  const other = parseRedriveArguments(['--topic', 't.dlq', '--to', 'fixed', '--stage', 'score', '--max-redrives', '5', '--group', 'ops-1', '--dry-run']);
  assert.deepEqual({ ...other.policy, codes: [...other.policy.codes] }, { codes: [], stage: 'score', to: 'fixed', maxRedrives: 5 });
  assert.equal(other.group, 'ops-1');
  assert.equal(other.dryRun, true);
});

test('redrive arguments that make no sense are usage errors naming the option', () => {
  assert.throws(() => parseRedriveArguments([]), (error: unknown) => error instanceof UsageError && /--topic/.test(error.message));
  assert.throws(
    () => parseRedriveArguments(['--topic', 't', '--filter', 'DECODE']),
    (error: unknown) => error instanceof UsageError && /--filter "DECODE" is no kascade error code; one of: .*DECODE_FAILED/.test(error.message),
  );
  assert.throws(() => parseRedriveArguments(['--topic', 't', '--max-redrives', '0']), /--max-redrives must be a whole number of at least 1/);
  assert.throws(() => parseRedriveArguments(['--topic', 't', '--group', 'a b']), /--group "a b"/);
});

test('the summary lists redriven records per target and code, then skipped, refused and failed ones with their offsets', () => {
  const tally = new RedriveTally();
  const redrive = { kind: 'redrive' as const, code: 'KASCADE_UNKNOWN_MODEL_KEY', topic: 'shop.requests', partition: 1, count: 1, headers: [] };
  tally.add({ partition: 0, offset: '0', headers: [] }, redrive);
  tally.add({ partition: 0, offset: '1', headers: [] }, redrive);
  tally.add({ partition: 0, offset: '2', headers: [] }, { kind: 'skip' });
  tally.add({ partition: 1, offset: '7', headers: [] }, { kind: 'refuse', code: 'KASCADE_TENSOR_MAPPING_FAILED', count: 3 });
  const options = parseRedriveArguments(['--topic', 'shop.requests.dlq', '--filter', 'UNKNOWN_MODEL_KEY']);
  const spans = [
    { topic: 'shop.requests.dlq', partition: 0, start: '0', end: '3' },
    { topic: 'shop.requests.dlq', partition: 1, start: '7', end: '8' },
  ];
  assert.equal(
    formatRedriveSummary(options, { tally, spans, elapsedMs: 1200 }),
    [
      'dlq redrive shop.requests.dlq: read 4 dead letters (offsets 0:[0,3) 1:[7,8)) in 1s200ms',
      '  redriven: 2',
      '    shop.requests  KASCADE_UNKNOWN_MODEL_KEY  2',
      '  skipped by the filter: 1',
      '  refused (redriven 3 times already): 1',
      '    partition 1 offset 7  KASCADE_TENSOR_MAPPING_FAILED  redriven 3 times',
      '  failed: 0',
      "  the records the filter skipped are behind group kascade-dlq-redrive.shop.requests.dlq's offsets now: redrive them later with another --group",
    ].join('\n'),
  );
});
