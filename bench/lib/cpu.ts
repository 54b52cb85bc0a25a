import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSample {
  /** When it was read (ms since the epoch). */
  readonly at: number;
  /** user + system CPU of the watched processes and their descendants so far, seconds. */
  readonly seconds: number;
}

/** The CPU a run's processes spent over the stretch its rate is measured over. */
export interface CpuOfWindow {
  /** CPU time (user + system) over the samples bounding the window, per output record, µs. */
  readonly microsPerRecord: number;
  /** CPU seconds per wall second over the same stretch: how many of the cores the processes kept busy. */
  readonly cores: number;
  /** The stretch between the two samples and the outputs written in it. */
  readonly from: number;
  readonly to: number;
  readonly records: number;
}

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`, 100 on every common Linux). */
function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of one process (all its threads), in ticks; undefined once it is gone or off Linux. */
function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Child processes of `pid` (a stage or script that starts its own helpers is counted whole). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${String(pid)}/task`).flatMap((task) =>
      readFileSync(`/proc/${String(pid)}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter((entry) => entry !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** A process the sampler reads: its pid while it runs. */
export interface CpuWatched {
  readonly pid: number | undefined;
}

/**
 * Reads the CPU time of the scenario's processes from /proc every `intervalMs`. The CPU a run
 * costs is the difference between the last sample at or before the measured window's start and
 * the first at or after its end, divided by the outputs written between those two samples: the
 * same stretch as the rate, with start-up, model load and group join left out (100 ms between
 * samples: the bounds add at most that much of either on each side). Linux only; on other
 * systems there are no samples and no figure.
 *
 * The CPU of the broker and the registry is not in it: only what the scenario's own processes spend.
 */
export class CpuSampler {
  readonly samples: CpuSample[] = [];
  private readonly ticksPerSecond = clockTicks();
  private readonly timer: NodeJS.Timeout;
  /** Last ticks read per pid: a process that exited keeps counting what it spent until then. */
  private readonly lastTicks = new Map<number, number>();

  constructor(
    private readonly children: readonly CpuWatched[],
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes a last sample (call before stopping the processes) and stops. */
  stop(): CpuSample[] {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }

  /** The CPU per output over [from, to], from the samples bounding it and the outputs' timestamps. */
  ofWindow(window: { readonly from: number; readonly to: number }, timestamps: readonly number[]): CpuOfWindow | undefined {
    const before = this.samples.filter((sample) => sample.at <= window.from).at(-1);
    const after = this.samples.find((sample) => sample.at >= window.to);
    if (before === undefined || after === undefined || after.at <= before.at) return undefined;
    const records = timestamps.filter((time) => time > before.at && time <= after.at).length;
    if (records === 0) return undefined;
    const seconds = after.seconds - before.seconds;
    return { microsPerRecord: (seconds * 1e6) / records, cores: seconds / ((after.at - before.at) / 1000), from: before.at, to: after.at, records };
  }

  private sample(): void {
    const seen = new Set<number>();
    const visit = (pid: number): void => {
      if (seen.has(pid)) return;
      seen.add(pid);
      const ticks = processTicks(pid);
      if (ticks !== undefined) this.lastTicks.set(pid, ticks);
      for (const child of childrenOf(pid)) visit(child);
    };
    for (const child of this.children) if (child.pid !== undefined) visit(child.pid);
    if (this.lastTicks.size === 0) return;
    let ticks = 0;
    for (const value of this.lastTicks.values()) ticks += value;
    this.samples.push({ at: Date.now(), seconds: ticks / this.ticksPerSecond });
  }
}
