import { metrics, type ObservableGauge, type ObservableResult } from '@opentelemetry/api';

export interface PartitionProgressAge {
  readonly topic: string;
  readonly partition: number;
  /** Seconds since the partition last made progress (or was assigned). */
  readonly seconds: number;
}

/**
 * `kascade.stage.partition.progress_age`: seconds since each owned input partition last made
 * progress (a fetch, records written, a commit), read at collection time. An idle partition
 * (nothing to read) ages too: alert on it together with `kascade.consumer.lag` > 0.
 */
export class ProgressAgeGauge {
  private readonly gauge: ObservableGauge;
  private readonly observe = (result: ObservableResult): void => {
    for (const { topic, partition, seconds } of this.read()) result.observe(seconds, { stage: this.stage, topic, partition });
  };

  constructor(
    private readonly stage: string,
    private readonly read: () => Iterable<PartitionProgressAge>,
  ) {
    this.gauge = metrics.getMeter('kascade').createObservableGauge('kascade.stage.partition.progress_age', {
      description: 'Seconds since an owned input partition last made progress (fetch, records written or commit), or since it was assigned',
      unit: 's',
    });
    this.gauge.addCallback(this.observe);
  }

  close(): void {
    this.gauge.removeCallback(this.observe);
  }
}
