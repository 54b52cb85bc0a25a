import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Message } from 'kafkajs';
import type { CtrReport } from '../src/experiments/ctr/ctr-report.js';
import { ensureTopics } from '../src/kafka/admin/topic-admin.js';
import { testAccess, testKafka, uniqueName } from './helpers/kafka.js';
import { kascadeCli, produceMessages } from './helpers/kascade-cli.js';

/**
 * `kascade ctr --from/--to` selects impressions and clicks by event time (the value's `timestamp`
 * field, else the Kafka timestamp), the time the join uses, whatever the Kafka timestamps are:
 * ingestion times far from the event times, or timestamps out of offset order.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const kafka = testKafka('ctr-event-time');

type Arm = 'champion' | 'challenger';
const ARMS: readonly Arm[] = ['champion', 'challenger'];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

async function experimentTopics(partitions: number): Promise<{ champion: string; challenger: string; clicks: string }> {
  const topics = { champion: uniqueName('ctr-et.champion'), challenger: uniqueName('ctr-et.challenger'), clicks: uniqueName('ctr-et.clicks') };
  await ensureTopics(
    testAccess,
    Object.values(topics).map((topic) => ({ topic, partitions })),
  );
  return topics;
}

async function ctrReport(topics: { champion: string; challenger: string; clicks: string }, from: number, to: number, extra: readonly string[] = []): Promise<CtrReport> {
  const result = await kascadeCli([
    'ctr',
    '--arm',
    `champion=${topics.champion}`,
    '--arm',
    `challenger=${topics.challenger}`,
    '--clicks',
    topics.clicks,
    '--from',
    iso(from),
    '--to',
    iso(to),
    '--json',
    ...extra,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as CtrReport;
}

test('Kafka timestamps are ingestion times (produced now, events three days earlier): --from/--to still select by event time', async () => {
  const topics = await experimentTopics(2);
  // Whole hours, so the range and the event times are exact.
  const from = Math.floor(Date.now() / HOUR) * HOUR - 72 * HOUR;
  const to = from + 2 * HOUR;
  // No Kafka timestamp is set: the producer stamps every record with the time it is sent.
  const impression = (arm: Arm, id: string, time: number): Message => ({
    key: `u-${arm}-${id}`,
    value: JSON.stringify({ requestId: `r-${arm}-${id}`, modelId: arm, timestamp: time }),
  });
  const click = (requestId: string, time: number): Message => ({ value: JSON.stringify({ requestId, timestamp: time }) });
  const clicks: Message[] = [];
  for (const arm of ARMS) {
    const messages: Message[] = [];
    // 30 impressions in range (3 minutes apart), 4 before --from, 4 at or after --to.
    for (let index = 0; index < 30; index++) messages.push(impression(arm, String(index), from + index * 3 * MINUTE));
    for (let index = 0; index < 4; index++) messages.push(impression(arm, `before-${index}`, from - (index + 1) * 10 * MINUTE));
    for (let index = 0; index < 4; index++) messages.push(impression(arm, `after-${index}`, to + index * 10 * MINUTE));
    await produceMessages(kafka, topics[arm], messages);
    // Champion: impressions 0, 3, ..., 15 clicked (6); challenger: impressions 0..9 (10); 5 minutes later.
    const clicked = arm === 'champion' ? [0, 3, 6, 9, 12, 15] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    for (const index of clicked) clicks.push(click(`r-${arm}-${index}`, from + index * 3 * MINUTE + 5 * MINUTE));
  }
  clicks.push(click('r-champion-before-0', from - 5 * MINUTE)); // before --from: outside the time range
  clicks.push(click('r-challenger-after-0', to + 5 * MINUTE)); // inside --to plus the window; its impression is not: out of range
  clicks.push(click('r-nobody', from + 90 * MINUTE)); // its impression (within the hour before) would have been read: an orphan
  await produceMessages(kafka, topics.clicks, clicks);

  const folder = await mkdtemp(join(tmpdir(), 'kascade-ctr-et-'));
  try {
    const file = join(folder, 'report.html');
    const report = await ctrReport(topics, from, to, ['--window', '1h', '--html', file]);
    assert.deepEqual(
      report.arms.map((arm) => [arm.name, arm.impressions, arm.clicked]),
      [
        ['champion', 30, 6],
        ['challenger', 30, 10],
      ],
    );
    assert.deepEqual(report.clicks, { records: 19, joined: 16, duplicates: 0, orphans: 1, late: 0, early: 0, outOfRange: 1, unreadable: 0, outsideTimeRange: 1 });
    assert.equal(report.impressions.records, 76);
    assert.equal(report.impressions.counted, 60);
    assert.equal(report.impressions.outsideTimeRange, 16);
    // Every usable record (76 impressions, 19 clicks) has a Kafka time about three days after its event time.
    assert.equal(report.timeSkew.records, 95);
    assert.equal(report.timeSkew.beyondThreshold, 95);
    assert.ok(report.timeSkew.largestMs !== null && report.timeSkew.largestMs > 72 * HOUR - 10 * MINUTE);
    assert.match(report.notes.join('\n'), /95 of 95 records have a Kafka timestamp more than 1h away from their event time/);
    assert.match(report.notes.join('\n'), /16 impression records and 1 click record have an event time outside --from\/--to/);
    const html = await readFile(file, 'utf8');
    assert.match(html, /16 outside the time range/);
    assert.match(html, /1 outside the time range/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('Kafka timestamps out of offset order: records stored after the first one past --to are still read', async () => {
  // One partition each, so the log order is the order produced.
  const topics = await experimentTopics(1);
  const from = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
  const to = from + HOUR;
  // The Kafka timestamp is the event time here; only half the clicks repeat it in the value.
  const impression = (arm: Arm, id: string, time: number): Message => ({
    key: `u-${arm}-${id}`,
    value: JSON.stringify({ requestId: `r-${arm}-${id}`, modelId: arm }),
    timestamp: String(time),
  });
  const click = (requestId: string, time: number, inValue: boolean): Message => ({
    value: JSON.stringify(inValue ? { requestId, timestamp: time } : { requestId }),
    timestamp: String(time),
  });
  const clicks: Message[] = [];
  for (const arm of ARMS) {
    await produceMessages(kafka, topics[arm], [
      ...Array.from({ length: 10 }, (_, index) => impression(arm, String(index), from + index * MINUTE)),
      impression(arm, 'after', from + 3 * HOUR), // the first record past --to ...
      ...Array.from({ length: 10 }, (_, index) => impression(arm, String(20 + index), from + (20 + index) * MINUTE)), // ... and in-range records after it
      impression(arm, 'before', from - 30 * MINUTE), // before --from, stored last (a re-delivery)
    ]);
  }
  // In the first part of the log: champion impressions 0..4 clicked, challenger 0..6.
  for (let index = 0; index < 5; index++) clicks.push(click(`r-champion-${index}`, from + index * MINUTE + 2 * MINUTE, index % 2 === 0));
  for (let index = 0; index < 7; index++) clicks.push(click(`r-challenger-${index}`, from + index * MINUTE + 2 * MINUTE, index % 2 === 1));
  clicks.push(click('r-champion-after', from + 26 * HOUR, true)); // past --to plus the 24h window
  // Stored after it, in range: champion impressions 20..24 clicked, challenger 20..27.
  for (let index = 20; index < 25; index++) clicks.push(click(`r-champion-${index}`, from + index * MINUTE + 2 * MINUTE, index % 2 === 0));
  for (let index = 20; index < 28; index++) clicks.push(click(`r-challenger-${index}`, from + index * MINUTE + 2 * MINUTE, index % 2 === 1));
  clicks.push(click('r-champion-before', from - 25 * MINUTE, false)); // before --from
  await produceMessages(kafka, topics.clicks, clicks);

  const report = await ctrReport(topics, from, to);
  assert.deepEqual(
    report.arms.map((arm) => [arm.name, arm.impressions, arm.clicked]),
    [
      ['champion', 20, 10],
      ['challenger', 20, 15],
    ],
  );
  assert.deepEqual(report.clicks, { records: 27, joined: 25, duplicates: 0, orphans: 0, late: 0, early: 0, outOfRange: 0, unreadable: 0, outsideTimeRange: 2 });
  assert.equal(report.impressions.records, 44);
  assert.equal(report.impressions.outsideTimeRange, 4);
  // Kafka time and event time agree: no warning.
  assert.equal(report.timeSkew.beyondThreshold, 0);
  assert.doesNotMatch(report.notes.join('\n'), /Kafka timestamp/);
});
