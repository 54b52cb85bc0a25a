import { until } from './child.js';
import { CpuSampler } from './cpu.js';
import { EventLoopSampler } from './event-loop.js';
import { measuredWindow, quantile, readOutputs, throughput } from './output-rate.js';
import type { RunContext, ThroughputScenario } from './scenarios.js';

export interface ThroughputResult {
  readonly scenario: string;
  readonly run: string;
  readonly recordsPerSecond: number;
  /** Outputs read after the run (the rate is measured over the middle 80% of their times). */
  readonly outputs: number;
  /**
   * Per-second p99 event-loop delay of the stage processes, ms: median and maximum of the samples
   * that lie within the window the rate is measured over (start-up and model load left out, as
   * for the rate).
   */
  readonly eventLoopP99Ms?: { readonly median: number; readonly max: number; readonly samples: number };
  /**
   * CPU time (user + system, from /proc) of the scenario's processes per output record, µs, over
   * the samples (every 100 ms) bounding the window the rate is measured over, divided by the
   * outputs written between them. Linux only.
   */
  readonly cpuMicrosPerRecord?: number;
  /** CPU seconds per second of those processes over the same stretch (2 is both cores of this machine). */
  readonly cpuCores?: number;
}

/** Starts the scenario's processes, waits for `target` outputs, stops them, measures from the output's timestamps. */
export async function measureThroughput(scenario: ThroughputScenario, context: RunContext, say: (line: string) => void): Promise<ThroughputResult> {
  const loaded = await context.cluster.topology(context.data, context.run);
  await context.cluster.createTopics(loaded);
  const outputs = scenario.outputs(context.run);
  const children = await scenario.start(context);
  const sampler = new EventLoopSampler(children);
  const cpu = new CpuSampler(children);
  try {
    let count = 0;
    await until(
      async () => {
        count = (await context.cluster.endOffsetsOrRetry(outputs)) ?? count;
        return count >= scenario.target;
      },
      () => `${String(scenario.target)} outputs of ${scenario.name} in ${outputs.join(', ')} (have ${String(count)})`,
      600_000,
      children,
      200,
    );
  } finally {
    sampler.stop();
    // The last CPU sample is read before the processes are killed: it bounds the window's end.
    cpu.stop();
    await Promise.all(children.map((child) => child.stop()));
  }
  const records = await readOutputs(context.cluster, outputs);
  const timestamps = records.map((record) => record.timestamp);
  const window = measuredWindow(timestamps);
  const samples = sampler.samples.filter((sample) => window !== undefined && sample.at - 1000 >= window.from && sample.at <= window.to).map((sample) => sample.p99Ms);
  const cpuOfWindow = window === undefined ? undefined : cpu.ofWindow(window, timestamps);
  if (records.length < scenario.target * 0.9) say(`${scenario.name}: only ${String(records.length)} of ${String(scenario.target)} outputs readable`);
  return {
    scenario: scenario.name,
    run: context.run,
    recordsPerSecond: throughput(timestamps),
    outputs: records.length,
    ...(cpuOfWindow === undefined ? {} : { cpuMicrosPerRecord: cpuOfWindow.microsPerRecord, cpuCores: cpuOfWindow.cores }),
    ...(samples.length === 0 ? {} : { eventLoopP99Ms: { median: quantile(samples, 0.5), max: Math.max(...samples), samples: samples.length } }),
  };
}
