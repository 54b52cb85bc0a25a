import type { JoinResult } from './click-join.js';

/** Impressions and clicked impressions of one unit (user) in one arm: a cluster for the delta method. */
export interface UnitTally {
  impressions: number;
  clicks: number;
}

/** Counts of one arm after the join. */
export interface ArmTally {
  readonly arm: string;
  readonly impressions: number;
  /** Impressions with at least one click in the window (one click per impression counts). */
  readonly clicked: number;
  /** One entry per distinct unit of the arm. */
  readonly units: readonly UnitTally[];
  /** The most impressions one unit saw: above 1, impressions are clustered and the delta method matters. */
  readonly maxImpressionsPerUnit: number;
  /** The arm's earliest impression; undefined without impressions. */
  readonly firstImpression: number | undefined;
}

export interface ArmTallies {
  /** In the join's arm order. */
  readonly arms: readonly ArmTally[];
  /** Units that appear in more than one arm (a changed weight or salt, or a broken router): they dilute the comparison. */
  readonly unitsInSeveralArms: number;
}

/** Per-arm impressions, clicked impressions and unit clusters of a join. */
export function tallyArms(join: JoinResult): ArmTallies {
  const perArm = new Map<string, { impressions: number; clicked: number; first: number; units: Map<string, UnitTally> }>();
  for (const arm of join.arms) perArm.set(arm, { impressions: 0, clicked: 0, first: Infinity, units: new Map() });
  // The first arm a unit was seen in, or null once it was seen in a second one.
  const unitArm = new Map<string, string | null>();
  join.forEachImpression((impression) => {
    const entry = perArm.get(impression.arm);
    if (entry === undefined) return;
    entry.impressions++;
    if (impression.clicked) entry.clicked++;
    if (impression.time < entry.first) entry.first = impression.time;
    let unit = entry.units.get(impression.unit);
    if (unit === undefined) {
      unit = { impressions: 0, clicks: 0 };
      entry.units.set(impression.unit, unit);
    }
    unit.impressions++;
    if (impression.clicked) unit.clicks++;
    const seen = unitArm.get(impression.unit);
    if (seen === undefined) unitArm.set(impression.unit, impression.arm);
    else if (seen !== null && seen !== impression.arm) unitArm.set(impression.unit, null);
  });
  let unitsInSeveralArms = 0;
  for (const arm of unitArm.values()) if (arm === null) unitsInSeveralArms++;
  return {
    arms: join.arms.map((arm) => {
      const entry = perArm.get(arm);
      const units = entry === undefined ? [] : [...entry.units.values()];
      return {
        arm,
        impressions: entry?.impressions ?? 0,
        clicked: entry?.clicked ?? 0,
        units,
        maxImpressionsPerUnit: units.reduce((max, unit) => Math.max(max, unit.impressions), 0),
        firstImpression: entry === undefined || entry.first === Infinity ? undefined : entry.first,
      };
    }),
    unitsInSeveralArms,
  };
}
