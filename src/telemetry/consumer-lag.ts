import { metrics, type ObservableGauge, type ObservableResult } from '@opentelemetry/api';

/**
 * Consumer lag per input partition, as of the last batch fetched: the partition's high
 * watermark minus the next offset to process. Read at collection time through an observable
 * gauge; partitions the stage no longer owns are forgotten on rebalance.
 */
export class ConsumerLagGauge {
  private readonly lags = new Map<string, { readonly topic: string; readonly partition: number; lag: number }>();
  private readonly gauge: ObservableGauge;
  private readonly observe = (result: ObservableResult): void => {
    for (const { topic, partition, lag } of this.lags.values()) result.observe(lag, { stage: this.stage, topic, partition });
  };

  constructor(private readonly stage: string) {
    this.gauge = metrics.getMeter('kascade').createObservableGauge('kascade.consumer.lag', {
      description: 'Records behind the high watermark, per input partition, as of the last fetch',
    });
    this.gauge.addCallback(this.observe);
  }

  /** After a chunk: `highWatermark` is the offset the next record written will get. */
  update(topic: string, partition: number, highWatermark: string, nextOffset: string): void {
    const lag = Math.max(0, Number(BigInt(highWatermark) - BigInt(nextOffset)));
    const key = `${topic}/${String(partition)}`;
    const entry = this.lags.get(key);
    if (entry === undefined) this.lags.set(key, { topic, partition, lag });
    else entry.lag = lag;
  }

  /** Keeps only the partitions in `owned` (keys `topic/partition`). */
  retain(owned: ReadonlySet<string>): void {
    for (const key of this.lags.keys()) if (!owned.has(key)) this.lags.delete(key);
  }

  close(): void {
    this.gauge.removeCallback(this.observe);
    this.lags.clear();
  }
}
