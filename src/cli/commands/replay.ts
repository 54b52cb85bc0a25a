import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { commandConnection } from '../connection-settings.js';
import { formatDuration } from '../../experiments/ctr/duration.js';
import { formatTimePoint, parseTimePoint, type TimePoint } from '../../experiments/ctr/time-point.js';
import { runReplay, type ReplayOptions } from '../../kafka/operator/replay.js';
import { print, printError, UsageError, type Command } from '../command.js';
import { progressBar } from '../progress-bar.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'copy the records of a topic between two points into another topic, exactly and resumably',
  usage: `kascade replay --from-topic SOURCE --to-topic DEST [--from POINT] [--to POINT] [--partitions 0,1]
               [--id ID] [--rate N] [--repartition] [--dry-run] [--progress]

  --from, --to     inclusive start, exclusive end: an ISO time (2026-11-25T10:00:00Z), a time back
                   from now (-2h), now, or offset:N; by default the first record / the end offsets
                   when the replay starts (records produced meanwhile are not copied)
  --partitions     source partitions to copy (default all)
  --id ID          names the replay; re-running the same id resumes it without copying anything
                   twice (default: derived from the arguments, printed at the start)
  --rate N         at most N records per second
  --repartition    place records by key hash instead of keeping their source partition
  --dry-run        count what would be copied, write nothing
  --progress       show progress on stderr even when it is not a terminal

Each copy keeps key, value, headers and timestamp, adds kascade.replay.id and its source topic,
partition and offset, and by default keeps the partition. The destination is created like the
source when missing. Copies are written in transactions together with the replay's progress:
read the destination with isolation.level=read_committed (kascade stages do).`,
  async run(args) {
    const options = parseReplayArguments(args);
    const clients = { connection: commandConnection(), clientId: 'kascade-replay' };
    printError(`replay ${options.id}: ${options.source} -> ${options.destination}${options.dryRun ? ' (dry run)' : ''}`);
    const showProgress = options.progress || process.stderr.isTTY;
    const bar = showProgress ? progressBar(process.stderr, options.dryRun ? { doing: 'counting', done: 'counted' } : { doing: 'copying', done: 'copied' }) : undefined;
    const summary = await runReplay(clients, { ...options, ...(bar === undefined ? {} : { onProgress: bar.update }) });
    bar?.finish(summary.copied, summary.elapsedMs);
    const planned = summary.spans.map((span) => `${span.partition}:[${span.start},${span.end})`).join(' ');
    const range = `${formatTimePoint(options.from) ?? 'start'} .. ${formatTimePoint(options.to) ?? 'end at planning'}`;
    const verb = options.dryRun ? 'would copy' : summary.resumed ? 'resumed and copied' : 'copied';
    print(
      `replay ${summary.id}: ${verb} ${summary.copied.toLocaleString('en-US')} records from ${options.source} to ${options.destination} in ${formatDuration(summary.elapsedMs)}` +
        `\n  range ${range}; offsets per partition ${planned}` +
        (summary.outsideTime > 0 ? `\n  ${summary.outsideTime.toLocaleString('en-US')} records inside the offsets but timestamped outside the range were left out` : ''),
    );
    return 0;
  },
};

interface ReplayArguments extends Omit<ReplayOptions, 'onProgress'> {
  readonly from: TimePoint | undefined;
  readonly to: TimePoint | undefined;
  readonly progress: boolean;
}

function parseReplayArguments(args: readonly string[]): ReplayArguments {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      'from-topic': { type: 'string' },
      'to-topic': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      partitions: { type: 'string' },
      id: { type: 'string' },
      rate: { type: 'string' },
      repartition: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      progress: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`replay takes no positional arguments, got: ${positionals.join(' ')}`);
  const source = values['from-topic'];
  const destination = values['to-topic'];
  if (source === undefined || destination === undefined) throw new UsageError('replay needs --from-topic SOURCE and --to-topic DEST');
  const now = Date.now();
  const point = (text: string | undefined, option: string): TimePoint | undefined => {
    if (text === undefined) return undefined;
    const parsed = parseTimePoint(text, now);
    if (parsed === undefined) throw new UsageError(`${option} "${text}" is not an ISO time, -2h-style duration, now, or offset:N`);
    return parsed;
  };
  const from = point(values.from, '--from');
  const to = point(values.to, '--to');
  if (from?.kind === 'timestamp' && to?.kind === 'timestamp' && to.ms <= from.ms) throw new UsageError('--to must come after --from');
  const partitions = values.partitions?.split(',').map((text) => {
    const partition = Number(text.trim());
    if (!Number.isInteger(partition) || partition < 0) throw new UsageError(`--partitions: "${text}" is not a partition number`);
    return partition;
  });
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0)) throw new UsageError(`--rate must be a positive number of records per second, got "${values.rate ?? ''}"`);
  // Relative times move with the clock, so the default id is built from the resolved points only when absolute.
  const identity = JSON.stringify([source, destination, values.from ?? null, values.to ?? null, partitions ?? null, values.repartition === true]);
  const id = values.id ?? `replay-${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new UsageError(`--id "${id}" may only hold letters, digits, ".", "_", "-"`);
  return {
    id,
    source,
    destination,
    from,
    to,
    partitions,
    keepPartitions: values.repartition !== true,
    ratePerSecond: rate,
    dryRun: values['dry-run'] === true,
    progress: values.progress === true,
  };
}
