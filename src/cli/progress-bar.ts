import { formatDuration } from '../experiments/ctr/duration.js';

export interface ProgressBar {
  readonly update: (done: number, total: number) => void;
  /** Clears the bar and prints the summary line (`<verb> N records in 3.2 s (… rec/s)`). */
  readonly finish: (records: number, elapsedMs: number) => void;
}

/**
 * `copying [#####-----] 123,456 / 500,000 (24.7%) 45,120 rec/s, ETA 8 s` on stderr: redrawn in
 * place on a terminal, a line a second otherwise (logs and CI).
 */
export function progressBar(stream: NodeJS.WriteStream, verb: { readonly doing: string; readonly done: string }): ProgressBar {
  const started = Date.now();
  const interactive = stream.isTTY;
  let shownAt = 0;
  let drawn = false;
  const line = (done: number, total: number): string => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(fraction * 30);
    const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = done / elapsed;
    const eta = rate > 0 && done < total ? `, ETA ${formatDuration(((total - done) / rate) * 1000)}` : '';
    const count = `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} (${(fraction * 100).toFixed(1)}%)`;
    return `${verb.doing} [${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${count} ${Math.round(rate).toLocaleString('en-US')} rec/s${eta}`;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - shownAt < (interactive ? 100 : 1000) && done < total) return;
      shownAt = now;
      drawn = true;
      stream.write(interactive ? `\r${line(done, total)}\u001b[K` : `${line(done, total)}\n`);
    },
    finish(records, elapsedMs) {
      if (drawn && interactive) stream.write('\r\u001b[K');
      const rate = records / Math.max(0.001, elapsedMs / 1000);
      stream.write(`${verb.done} ${records.toLocaleString('en-US')} records in ${formatDuration(elapsedMs)} (${Math.round(rate).toLocaleString('en-US')} rec/s)\n`);
    },
  };
}
