import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { commandConnection } from '../connection-settings.js';
import { ClickJoin, type AnalysedRange } from '../../experiments/ctr/click-join.js';
import { buildCtrReport, type SkippedRecords } from '../../experiments/ctr/ctr-report.js';
import { clickOf, impressionOf } from '../../experiments/ctr/ctr-records.js';
import { formatDuration, parseDuration } from '../../experiments/ctr/duration.js';
import { eventTimeRanges, inEventTimeRange } from '../../experiments/ctr/event-time-range.js';
import { formatCtrHtml } from '../../experiments/ctr/report-html.js';
import { formatCtrJson } from '../../experiments/ctr/report-json.js';
import { formatCtrTable } from '../../experiments/ctr/report-table.js';
import { MIN_LOOK_UNITS } from '../../experiments/ctr/sequential-looks.js';
import { formatTimePoint, parseTimePoint, type TimePoint } from '../../experiments/ctr/time-point.js';
import { TimeSkewTally, WIDE_TIME_SKEW_MS } from '../../experiments/ctr/time-skew.js';
import { createValueDecoder, isRecordDecodeFailure, type ValueDecoder } from '../../experiments/ctr/value-decoder.js';
import { heaviestArm, parseWeights, type ArmWeights } from '../../experiments/ctr/weights.js';
import { MIN_RELIABLE_UNITS } from '../../experiments/statistics/delta-method.js';
import { readTopics, type TopicRange, type TopicRecord } from '../../kafka/operator/topic-reader.js';
import { createAvroSerde } from '../../serde/avro-serde.js';
import { createHttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import { print, printError, UsageError, type Command } from '../command.js';
import { progressBar } from '../progress-bar.js';

const DEFAULT_WINDOW = '24h';

/** What the records of one topic are. */
type TopicRole = { readonly kind: 'arm'; readonly arm: string } | { readonly kind: 'impressions' } | { readonly kind: 'clicks' };

interface CtrOptions {
  readonly roles: ReadonlyMap<string, TopicRole>;
  /** Arm -> topic, with one topic per arm. */
  readonly armTopics: ReadonlyMap<string, string> | undefined;
  readonly clicksTopic: string;
  readonly arms: readonly string[];
  readonly champion: string | undefined;
  readonly weights: ArmWeights | undefined;
  readonly windowMs: number;
  readonly from: TimePoint | undefined;
  readonly to: TimePoint | undefined;
  readonly baselineCtr: number | undefined;
  readonly json: boolean;
  readonly html: string | undefined;
  readonly progress: boolean;
}

export const ctrCommand: Command = {
  name: 'ctr',
  summary: 'champion/challenger click-through rates from the arms\' output topics and a clicks topic',
  usage: `kascade ctr --arm NAME=TOPIC --arm NAME=TOPIC... --clicks TOPIC [options]
       kascade ctr --impressions TOPIC... --clicks TOPIC [options]

  --arm NAME=TOPIC       an arm and its predictions (impressions) topic; the first is the champion
                         unless --champion or --weights say otherwise
  --impressions TOPIC    one topic for all arms: the kascade.arm header names each record's arm
  --clicks TOPIC         click records: requestId (field, else header kascade.request-id) and an
                         optional timestamp field (else the record's timestamp)
  --weights A=W,B=W      the router's weights: enables the sample-ratio-mismatch check (units per arm)
  --champion NAME        the arm the others are compared with (default: largest weight, else first arm)
  --window DURATION      attribution window, click time minus impression time (default ${DEFAULT_WINDOW})
  --from T, --to T       impressions from T (inclusive) to T (exclusive): ISO 8601 time, relative
                         (-2h, -7d), now, or offset:N; clicks from --from to --to plus the window.
                         Times select by event time (see below), offsets by offset
  --baseline-ctr P       the champion's CTR known before the test: fixes the mSPRT's mixing variance
  --json                 print the report as JSON (stable field names) instead of a table
  --html FILE            also write a self-contained HTML report with a CTR-over-time chart
  --progress             show reading progress on stderr even when it is not a terminal

Impression values may be JSON or Confluent-framed Avro (decoded with the writer's schema from
SCHEMA_REGISTRY_URL), record by record. Offsets are never committed; the read stops at the end
offsets captured at start.

Time ranges are event time: an impression's or click's time is the value's timestamp field
(epoch ms or s, ISO text, Avro timestamp-millis), else the record's Kafka timestamp, and the join
and --from/--to use the same time. Kafka timestamps may be ingestion times (producer default,
LogAppendTime, back-fills) and need not grow with offsets (several producers, re-deliveries), so
the broker's time index is not used: with time bounds the topics are still read whole (up to
the end offsets), and records whose event time is outside the range are counted (outside the
time range), never dropped unseen. Records whose Kafka time is more than ${formatDuration(WIDE_TIME_SKEW_MS)} from their event
time are reported.

The verdict is an always-valid sequential test (mSPRT) of each challenger against the champion.
It looks at the data at every event time (each impression shown, each impression's first click),
as a report run at that moment would have seen it, once each arm has ${MIN_LOOK_UNITS} units. The always-valid
p is the running minimum of p over these looks, and a comparison is decided at the first look
that reaches its alpha (the report gives that time, and the last look's p beside it). A later
run makes the same looks, and more, so re-running while the experiment goes on never takes a
decision back. With several challengers alpha (0.05) is split evenly (Bonferroni): each
comparison is tested at alpha / challengers, and that per-comparison alpha is printed next to
its p. The mixing variance is --baseline-ctr's, else the champion's CTR observed at each look.
Per-user intervals (delta method) are clamped to [0, 1] and marked unreliable below ${MIN_RELIABLE_UNITS} units or
without clicks.`,
  async run(args) {
    const options = parseOptions(args);
    const connection = commandConnection();
    const registry = createHttpSchemaRegistryClient(connection);
    const decoders = new Map<string, ValueDecoder>();
    for (const topic of options.roles.keys()) decoders.set(topic, createValueDecoder(createAvroSerde({ topic, registry })));

    const join = new ClickJoin({ windowMs: options.windowMs, arms: options.arms });
    const ranges = eventTimeRanges(options.from, options.to, options.windowMs);
    const skew = new TimeSkewTally();
    const skipped = { impressions: { unreadable: 0, withoutRequestId: 0, withoutArm: 0, outsideTimeRange: 0 }, clicks: { unreadable: 0, outsideTimeRange: 0 } };
    const onRecord = async (record: TopicRecord): Promise<void> => {
      const role = options.roles.get(record.topic);
      const decoder = decoders.get(record.topic);
      if (role === undefined || decoder === undefined) return;
      let value: unknown;
      try {
        value = await decoder.decode(record.value);
      } catch (error) {
        if (!isRecordDecodeFailure(error)) throw error;
        if (role.kind === 'clicks') skipped.clicks.unreadable++;
        else skipped.impressions.unreadable++;
        return;
      }
      if (role.kind === 'clicks') {
        const click = clickOf(record, value);
        if (click === undefined) {
          skipped.clicks.unreadable++;
          return;
        }
        skew.observe(record.timestamp, click.time);
        if (inEventTimeRange(ranges.clicks, click.time)) join.addClick(click);
        else skipped.clicks.outsideTimeRange++;
        return;
      }
      const read = impressionOf(record, value, role.kind === 'arm' ? role.arm : undefined);
      if ('impression' in read) {
        skew.observe(record.timestamp, read.impression.time);
        if (inEventTimeRange(ranges.impressions, read.impression.time)) join.addImpression(read.impression);
        else skipped.impressions.outsideTimeRange++;
      } else if (read.skipped === 'no-arm') skipped.impressions.withoutArm++;
      else skipped.impressions.withoutRequestId++;
    };

    const progress = options.progress ? progressBar(process.stderr, { doing: 'reading', done: 'read' }) : undefined;
    const summary = await readTopics({ connection, clientId: 'kascade-ctr' }, readRanges(options), {
      onRecord,
      clientId: 'kascade-ctr',
      ...(progress === undefined ? {} : { onProgress: progress.update }),
    });
    progress?.finish(summary.records, summary.elapsedMs);

    const report = buildCtrReport({
      join: join.result(analysedRange(options)),
      champion: options.champion,
      weights: options.weights,
      topics: options.armTopics,
      range: { from: formatTimePoint(options.from), to: formatTimePoint(options.to) },
      skipped: skipped satisfies SkippedRecords,
      timeSkew: skew.result(),
      baselineCtr: options.baselineCtr,
    });
    if (options.html !== undefined) {
      await writeFile(options.html, formatCtrHtml(report), 'utf8');
      printError(`wrote the HTML report to ${options.html}`);
    }
    print(options.json ? formatCtrJson(report) : formatCtrTable(report));
    return 0;
  },
};

function parseOptions(args: readonly string[]): CtrOptions {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      arm: { type: 'string', multiple: true },
      impressions: { type: 'string', multiple: true },
      clicks: { type: 'string' },
      weights: { type: 'string' },
      champion: { type: 'string' },
      window: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'baseline-ctr': { type: 'string' },
      json: { type: 'boolean' },
      html: { type: 'string' },
      progress: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`ctr takes no positional arguments, got: ${positionals.join(' ')}`);
  const clicksTopic = values.clicks;
  if (clicksTopic === undefined || clicksTopic === '') throw new UsageError('ctr needs --clicks TOPIC');
  const armSpecs = values.arm ?? [];
  const impressionTopics = values.impressions ?? [];
  if ((armSpecs.length === 0) === (impressionTopics.length === 0)) {
    throw new UsageError('ctr needs either --arm NAME=TOPIC (one per arm, at least two) or --impressions TOPIC (arms from the kascade.arm header)');
  }

  const armTopics = new Map<string, string>();
  for (const spec of armSpecs) {
    const match = /^([^=]+)=(.+)$/.exec(spec);
    if (match === null) throw new UsageError(`--arm ${spec}: expected NAME=TOPIC, e.g. --arm champion=impressions.champion`);
    const [, name = '', topic = ''] = match;
    if (armTopics.has(name)) throw new UsageError(`--arm: arm "${name}" is given twice`);
    armTopics.set(name, topic);
  }
  if (armSpecs.length === 1) throw new UsageError('ctr needs at least two --arm options (a champion and a challenger)');

  const roles = new Map<string, TopicRole>();
  const claim = (topic: string, role: TopicRole): void => {
    if (roles.has(topic)) throw new UsageError(`topic "${topic}" is named twice (each arm, and the clicks, need their own topic)`);
    roles.set(topic, role);
  };
  for (const [arm, topic] of armTopics) claim(topic, { kind: 'arm', arm });
  for (const topic of impressionTopics) claim(topic, { kind: 'impressions' });
  claim(clicksTopic, { kind: 'clicks' });

  let weights: ArmWeights | undefined;
  if (values.weights !== undefined) {
    const parsed = parseWeights(values.weights);
    if ('problem' in parsed) throw new UsageError(`--weights: ${parsed.problem}`);
    weights = parsed.weights;
    if (armTopics.size > 0) {
      const missing = [...armTopics.keys()].filter((arm) => !parsed.weights.has(arm));
      const extra = [...parsed.weights.keys()].filter((arm) => !armTopics.has(arm));
      if (missing.length > 0 || extra.length > 0) {
        throw new UsageError(`--weights must name exactly the arms (${[...armTopics.keys()].join(', ')}); got ${[...parsed.weights.keys()].join(', ')}`);
      }
    }
  }

  const champion = values.champion;
  if (champion !== undefined) {
    const known = armTopics.size > 0 ? [...armTopics.keys()] : weights === undefined ? undefined : [...weights.keys()];
    if (known !== undefined && !known.includes(champion)) throw new UsageError(`--champion ${champion}: not an arm (arms: ${known.join(', ')})`);
  }

  const windowText = values.window ?? DEFAULT_WINDOW;
  const windowMs = parseDuration(windowText);
  if (windowMs === undefined) throw new UsageError(`--window ${windowText}: expected a duration such as 24h, 30m, 7d or 1h30m`);

  const now = Date.now();
  const point = (name: string, text: string | undefined): TimePoint | undefined => {
    if (text === undefined) return undefined;
    const parsed = parseTimePoint(text, now);
    if (parsed === undefined) throw new UsageError(`--${name} ${text}: expected an ISO 8601 time (2024-05-01T12:00:00Z), a relative time (-2h), now, or offset:N`);
    return parsed;
  };
  const from = point('from', values.from);
  const to = point('to', values.to);
  if (from?.kind === 'timestamp' && to?.kind === 'timestamp' && to.ms <= from.ms) throw new UsageError('--to must be after --from');

  let baselineCtr: number | undefined;
  if (values['baseline-ctr'] !== undefined) {
    baselineCtr = Number(values['baseline-ctr']);
    if (!(baselineCtr > 0 && baselineCtr < 1)) throw new UsageError(`--baseline-ctr ${values['baseline-ctr']}: expected a rate between 0 and 1, e.g. 0.03`);
  }

  const configuredArms = armTopics.size > 0 ? [...armTopics.keys()] : [...(weights?.keys() ?? [])];
  const chosenChampion = champion ?? (weights === undefined ? undefined : heaviestArm(weights)) ?? (armTopics.size > 0 ? configuredArms[0] : undefined);
  return {
    roles,
    armTopics: armTopics.size > 0 ? armTopics : undefined,
    clicksTopic,
    arms: chosenChampion === undefined ? configuredArms : [chosenChampion, ...configuredArms.filter((arm) => arm !== chosenChampion)],
    champion: chosenChampion,
    weights,
    windowMs,
    from,
    to,
    baselineCtr,
    json: values.json === true,
    html: values.html,
    progress: values.progress === true || process.stderr.isTTY,
  };
}

/**
 * What is read: impression topics between offset bounds, the clicks topic whole (offsets of one
 * topic mean nothing in another). Time bounds do not bound the read: records are selected by
 * event time as they are read (event-time-range.ts says why), so every record up to the end
 * offsets at start is read once.
 */
function readRanges(options: CtrOptions): TopicRange[] {
  const offset = (point: TimePoint | undefined): TimePoint | undefined => (point?.kind === 'offset' ? point : undefined);
  return [...options.roles].map(([topic, role]): TopicRange => (role.kind === 'clicks' ? { topic } : { topic, from: offset(options.from), to: offset(options.to) }));
}

/** Where orphan clicks count as out of range: the time bounds, or the impressions' own span for offset bounds. */
function analysedRange(options: CtrOptions): AnalysedRange {
  const bound = (point: TimePoint | undefined): number | 'impressions' | undefined =>
    point === undefined ? undefined : point.kind === 'timestamp' ? point.ms : 'impressions';
  return { from: bound(options.from), to: bound(options.to) };
}
