import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClickJoin } from '../../../src/experiments/ctr/click-join.js';
import { buildCtrReport } from '../../../src/experiments/ctr/ctr-report.js';
import { eventTimeRanges, inEventTimeRange } from '../../../src/experiments/ctr/event-time-range.js';
import { formatCtrHtml } from '../../../src/experiments/ctr/report-html.js';
import { formatCtrTable } from '../../../src/experiments/ctr/report-table.js';
import { TimeSkewTally, WIDE_TIME_SKEW_MS } from '../../../src/experiments/ctr/time-skew.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1);

test('impressions are selected in [from, to), clicks in [from, to + window); offset bounds select no time', () => {
  const ranges = eventTimeRanges({ kind: 'timestamp', ms: T0 }, { kind: 'timestamp', ms: T0 + 2 * HOUR }, 24 * HOUR);
  assert.deepEqual(ranges, { impressions: { fromMs: T0, toMs: T0 + 2 * HOUR }, clicks: { fromMs: T0, toMs: T0 + 26 * HOUR } });
  assert.equal(inEventTimeRange(ranges.impressions, T0), true);
  assert.equal(inEventTimeRange(ranges.impressions, T0 - 1), false);
  assert.equal(inEventTimeRange(ranges.impressions, T0 + 2 * HOUR), false);
  assert.equal(inEventTimeRange(ranges.clicks, T0 + 26 * HOUR - 1), true);
  assert.equal(inEventTimeRange(ranges.clicks, T0 + 26 * HOUR), false);
  const offsets = eventTimeRanges({ kind: 'offset', offset: '10' }, undefined, HOUR);
  assert.equal(inEventTimeRange(offsets.impressions, 0), true);
  assert.equal(inEventTimeRange(offsets.clicks, Number.MAX_SAFE_INTEGER), true);
});

test('the skew tally counts records whose Kafka time is more than an hour from their event time, either way', () => {
  const tally = new TimeSkewTally();
  assert.deepEqual(tally.result(), { thresholdMs: WIDE_TIME_SKEW_MS, records: 0, beyondThreshold: 0, largestMs: null });
  tally.observe(T0, T0);
  tally.observe(T0 + HOUR, T0); // exactly the threshold: not beyond it
  tally.observe(T0 + 3 * 24 * HOUR, T0); // ingestion three days later
  tally.observe(T0, T0 + 2 * HOUR); // a Kafka time before the event time
  assert.deepEqual(tally.result(), { thresholdMs: HOUR, records: 4, beyondThreshold: 2, largestMs: 3 * 24 * HOUR });
});

test('records outside the time range are counted in the table, the HTML and the notes; a wide skew is a note', () => {
  const join = new ClickJoin({ windowMs: HOUR, arms: ['champion', 'challenger'] });
  join.addImpression({ requestId: 'a', arm: 'champion', unit: 'u1', time: T0 });
  join.addImpression({ requestId: 'b', arm: 'challenger', unit: 'u2', time: T0 });
  const report = buildCtrReport({
    join: join.result(),
    champion: 'champion',
    range: { from: new Date(T0).toISOString(), to: new Date(T0 + HOUR).toISOString() },
    skipped: { impressions: { unreadable: 0, withoutRequestId: 0, withoutArm: 0, outsideTimeRange: 7 }, clicks: { unreadable: 0, outsideTimeRange: 1 } },
    timeSkew: { thresholdMs: HOUR, records: 10, beyondThreshold: 9, largestMs: 50 * HOUR },
  });
  assert.equal(report.impressions.records, 9);
  assert.equal(report.clicks.records, 1);
  const table = formatCtrTable(report);
  assert.match(table, /^CTR by arm \(attribution window 1h, 2024-05-01T00:00:00.000Z \.\. 2024-05-01T01:00:00.000Z by event time\)$/m);
  assert.match(table, /^clicks: .*, 1 outside the time range \(1 records\)$/m);
  assert.match(table, /^impressions: .*, 7 outside the time range \(9 records\)$/m);
  assert.match(table, /7 impression records and 1 click record have an event time outside --from\/--to/);
  assert.match(table, /9 of 10 records have a Kafka timestamp more than 1h away from their event time \(up to 50h\)/);
  const html = formatCtrHtml(report);
  assert.match(html, /<th>clicks<\/th><td class="n">1 records<\/td><td>[^<]*, 1 outside the time range<\/td>/);
  assert.match(html, /<th>impressions<\/th><td class="n">9 records<\/td><td>[^<]*, 7 outside the time range;/);
});
