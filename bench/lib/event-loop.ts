import type { Child } from './child.js';

export interface EventLoopSample {
  /** When it was scraped (ms since the epoch); it covers the second before. */
  readonly at: number;
  readonly p99Ms: number;
}

/**
 * Samples `kascade_eventloop_delay_p99` from the stage processes' /metrics once a second: each
 * sample is the p99 event-loop delay since the previous scrape, so the series shows whether
 * model runs or decoding ever block the loop that heartbeats and fetches.
 */
export class EventLoopSampler {
  readonly samples: EventLoopSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly children: readonly Child[]) {
    this.timer = setInterval(() => void this.scrape(), 1000);
  }

  stop(): EventLoopSample[] {
    clearInterval(this.timer);
    return this.samples;
  }

  private async scrape(): Promise<void> {
    for (const child of this.children) {
      const port = child.metricsPort;
      if (port === undefined || !child.running) continue;
      try {
        const text = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
        const line = text.split('\n').find((candidate) => /^kascade_eventloop_delay_p99(_milliseconds)?[ {]/.test(candidate));
        if (line !== undefined) this.samples.push({ at: Date.now(), p99Ms: Number(line.slice(line.lastIndexOf(' ') + 1)) });
      } catch {
        // A process that is stopping: no sample.
      }
    }
  }
}
