import { parseArgs } from 'node:util';
import { formatDuration } from '../../experiments/ctr/duration.js';
import { runRedrive, type RedriveSummary } from '../../kafka/operator/dead-letter-redrive.js';
import { readDeadLetterStats, type DeadLetterStatsSummary } from '../../kafka/operator/dead-letter-stats.js';
import { redriveGroup } from '../../kafka/operator/dead-letter-topic.js';
import type { PartitionSpan } from '../../kafka/operator/topic-reader.js';
import { errorCodeNames, parseErrorCode, type RedrivePolicy } from '../../runtime/dead-letters/redrive.js';
import { LISTED_PROBLEMS, type RedriveProblem } from '../../runtime/dead-letters/redrive-tally.js';
import { print, printError, UsageError, type Command } from '../command.js';
import { progressBar } from '../progress-bar.js';
import { commandConnection } from '../connection-settings.js';

const DEFAULT_MAX_REDRIVES = 3;

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'redrive dead letters back to their topics after a fix (redrive), or count them (stats)',
  usage: `kascade dlq redrive --topic DLQ [--filter CODE]... [--stage NAME] [--to TOPIC] [--max-redrives N]
                         [--group ID] [--dry-run] [--progress]
       kascade dlq stats --topic DLQ [--group ID] [--progress]

redrive: re-injects the dead letters of DLQ written since the last redrive of the group, up to
the end offsets at the start, with their original key, value and headers (the kascade.error.*
headers removed) plus kascade.redrive.count (previous count + 1).
  --filter CODE      only this error code (repeatable, or comma-separated): KASCADE_DECODE_FAILED,
                     DECODE_FAILED or decode-failed
  --stage NAME       only dead letters of this stage
  --to TOPIC         send them here (partitioned by key) instead of back to their source topic
                     (on their source partition)
  --max-redrives N   refuse records already redriven N times (default ${DEFAULT_MAX_REDRIVES})
  --group ID         the consumer group holding the progress (default kascade-dlq-redrive.<DLQ>);
                     records a filter skipped are behind its offsets too: redrive them later
                     with another --group
  --dry-run          report what would be redriven (per error code and target), write and
                     commit nothing
  --progress         show progress on stderr even when it is not a terminal
At least once: a crash between producing a chunk and committing it redrives that chunk again.
Exits 1 when a record was refused or could not be redriven (both are listed with their offsets).

stats: counts the whole of DLQ per error code, stage and redrive count, its oldest and newest
failure, and how many dead letters the group (as above) has not passed yet.`,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'redrive') return redrive(rest);
    if (sub === 'stats') return stats(rest);
    throw new UsageError(sub === undefined ? 'dlq needs a sub-command: redrive or stats' : `unknown dlq sub-command "${sub}" (redrive or stats)`);
  },
};

interface RedriveArguments {
  readonly topic: string;
  readonly group: string;
  readonly policy: RedrivePolicy;
  readonly dryRun: boolean;
  readonly progress: boolean;
}

async function redrive(args: readonly string[]): Promise<number> {
  const options = parseRedriveArguments(args);
  const clients = { connection: commandConnection(), clientId: 'kascade-dlq-redrive' };
  printError(`dlq redrive ${options.topic} (group ${options.group})${options.dryRun ? ' (dry run)' : ''}`);
  const bar = options.progress || process.stderr.isTTY ? progressBar(process.stderr, { doing: 'redriving', done: 'read' }) : undefined;
  const summary = await runRedrive(clients, { ...options, ...(bar === undefined ? {} : { onProgress: bar.update }) });
  bar?.finish(summary.tally.read, summary.elapsedMs);
  print(formatRedriveSummary(options, summary));
  return summary.tally.clean ? 0 : 1;
}

export function parseRedriveArguments(args: readonly string[]): RedriveArguments {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      topic: { type: 'string' },
      filter: { type: 'string', multiple: true },
      stage: { type: 'string' },
      to: { type: 'string' },
      'max-redrives': { type: 'string' },
      group: { type: 'string' },
      'dry-run': { type: 'boolean' },
      progress: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`dlq redrive takes no positional arguments, got: ${positionals.join(' ')}`);
  const topic = requiredTopic(values.topic, 'redrive');
  const codes = new Set<string>();
  for (const text of (values.filter ?? []).flatMap((filter) => filter.split(','))) {
    const code = parseErrorCode(text);
    if (code === undefined) throw new UsageError(`--filter "${text}" is no kascade error code; one of: ${errorCodeNames().join(', ')}`);
    codes.add(code);
  }
  const maxText = values['max-redrives'];
  const maxRedrives = maxText === undefined ? DEFAULT_MAX_REDRIVES : Number(maxText);
  if (!Number.isInteger(maxRedrives) || maxRedrives < 1) throw new UsageError(`--max-redrives must be a whole number of at least 1, got "${maxText ?? ''}"`);
  if (values.stage === '') throw new UsageError('--stage needs a stage name');
  if (values.to === '') throw new UsageError('--to needs a topic');
  return {
    topic,
    group: groupOption(values.group, topic),
    policy: { codes, stage: values.stage, to: values.to, maxRedrives },
    dryRun: values['dry-run'] === true,
    progress: values.progress === true,
  };
}

export function formatRedriveSummary(options: RedriveArguments, summary: RedriveSummary): string {
  const { tally } = summary;
  const dry = options.dryRun;
  const lines = [
    `dlq redrive ${options.topic}: read ${count(tally.read)} dead letters (offsets ${formatSpans(summary.spans)}) in ${formatDuration(summary.elapsedMs)}`,
    `  ${dry ? 'would redrive' : 'redriven'}: ${count(tally.redrivenTotal)}`,
  ];
  const rows = [...tally.redriven].flatMap(([topic, byCode]) => [...byCode].map(([code, records]) => ({ topic, code, records })));
  rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.code.localeCompare(b.code));
  const topicWidth = Math.max(0, ...rows.map((row) => row.topic.length));
  const codeWidth = Math.max(0, ...rows.map((row) => row.code.length));
  for (const row of rows) lines.push(`    ${row.topic.padEnd(topicWidth)}  ${row.code.padEnd(codeWidth)}  ${count(row.records)}`);
  lines.push(`  skipped by the filter: ${count(tally.skipped)}`);
  lines.push(`  refused (redriven ${options.policy.maxRedrives} times already): ${count(tally.refused)}`);
  lines.push(...problemLines(tally.refusals, tally.refused));
  lines.push(`  failed: ${count(tally.failed)}`);
  lines.push(...problemLines(tally.failures, tally.failed));
  if (dry) lines.push('  dry run: nothing was written or committed');
  else if (tally.skipped > 0) lines.push(`  the records the filter skipped are behind group ${options.group}'s offsets now: redrive them later with another --group`);
  return lines.join('\n');
}

function problemLines(listed: readonly RedriveProblem[], total: number): string[] {
  const ordered = [...listed].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  const lines = ordered.map((problem) => `    partition ${problem.partition} offset ${problem.offset}  ${problem.code}  ${problem.detail}`);
  if (total > listed.length) lines.push(`    ... and ${count(total - LISTED_PROBLEMS)} more`);
  return lines;
}

async function stats(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { topic: { type: 'string' }, group: { type: 'string' }, progress: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`dlq stats takes no positional arguments, got: ${positionals.join(' ')}`);
  const topic = requiredTopic(values.topic, 'stats');
  const group = groupOption(values.group, topic);
  const clients = { connection: commandConnection(), clientId: 'kascade-dlq-stats' };
  const bar = values.progress === true || process.stderr.isTTY ? progressBar(process.stderr, { doing: 'counting', done: 'counted' }) : undefined;
  const summary = await readDeadLetterStats(clients, topic, group, bar?.update);
  bar?.finish(summary.stats.total, summary.elapsedMs);
  print(formatStats(topic, summary));
  return 0;
}

export function formatStats(topic: string, summary: DeadLetterStatsSummary): string {
  const { stats } = summary;
  // A producer's timestamp may lie outside what a Date can show (or be -1, none).
  const time = (ms: number | undefined): string => (ms === undefined ? '-' : Number.isNaN(new Date(ms).getTime()) ? `${ms} ms` : new Date(ms).toISOString());
  // Codes and stages most frequent first; redrive counts in their order.
  const table = (counts: ReadonlyMap<string | number, number>): string[] => {
    const rows = [...counts].sort(([a, x], [b, y]) => (typeof a === 'number' && typeof b === 'number' ? a - b : y - x || String(a).localeCompare(String(b))));
    const width = Math.max(0, ...rows.map(([name]) => String(name).length));
    return rows.map(([name, records]) => `    ${String(name).padEnd(width)}  ${count(records)}`);
  };
  return [
    `dlq stats ${topic}: ${count(stats.total)} dead letters (offsets ${formatSpans(summary.spans)})`,
    `  oldest ${time(stats.oldestMs)}, newest ${time(stats.newestMs)}`,
    '  by error code:',
    ...table(stats.byCode),
    '  by stage:',
    ...table(stats.byStage),
    '  by redrive count:',
    ...table(stats.byRedriveCount),
    `  not yet passed by group ${summary.group}: ${count(summary.pending)}`,
  ].join('\n');
}

function requiredTopic(topic: string | undefined, sub: string): string {
  if (topic === undefined || topic === '') throw new UsageError(`dlq ${sub} needs --topic DLQ (the dead-letter topic)`);
  return topic;
}

function groupOption(group: string | undefined, topic: string): string {
  if (group === undefined) return redriveGroup(topic);
  if (!/^[A-Za-z0-9._-]+$/.test(group)) throw new UsageError(`--group "${group}" may only hold letters, digits, ".", "_", "-"`);
  return group;
}

function formatSpans(spans: readonly PartitionSpan[]): string {
  return spans.length === 0 ? 'none' : spans.map((span) => `${span.partition}:[${span.start},${span.end})`).join(' ');
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
