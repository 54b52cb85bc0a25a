import { ClickJoin } from '../../../src/experiments/ctr/click-join.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const T0 = Date.UTC(2024, 4, 1);

export interface ArmPlan {
  readonly name: string;
  readonly impressions: number;
  /** Per mille of impression `index` clicked. */
  readonly rate: (index: number) => number;
}

/**
 * Arms with one impression every 72 s over 300 users each, and a click a minute after each
 * clicked impression. Impression `index` is clicked when (index · 7919) mod 1000 < rate: 7919 is
 * prime to 1000, so the clicked ones are scattered evenly over time and over users.
 */
export function scatteredExperiment(arms: readonly ArmPlan[]): ClickJoin {
  const join = new ClickJoin({ windowMs: HOUR, arms: arms.map((arm) => arm.name) });
  for (const arm of arms) {
    for (let index = 0; index < arm.impressions; index++) {
      const requestId = `${arm.name}-${index}`;
      const time = T0 + index * 72_000;
      join.addImpression({ requestId, arm: arm.name, unit: `${arm.name}-u${index % 300}`, time });
      if ((index * 7919) % 1000 < arm.rate(index)) join.addClick({ requestId, time: time + MINUTE });
    }
  }
  return join;
}

/** How many of the first `impressions` scatteredExperiment clicks at a constant per-mille rate. */
export function clickedOf(impressions: number, rate: number): number {
  return Array.from({ length: impressions }, (_, index) => (index * 7919) % 1000 < rate).filter(Boolean).length;
}
