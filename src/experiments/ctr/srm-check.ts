import { sampleRatioMismatch } from '../statistics/srm.js';
import type { ArmTally } from './arm-tally.js';
import type { ArmWeights } from './weights.js';

/** The alarm level of the sample-ratio check (conventional for SRM: strict, since it is checked continuously). */
export const SRM_THRESHOLD = 0.001;

export type SrmCheck =
  | {
      readonly checked: true;
      /** What is counted per arm: units (users), the router's randomisation unit, so counts are independent draws. */
      readonly basis: 'units';
      readonly threshold: number;
      readonly arms: readonly {
        readonly name: string;
        readonly weight: number;
        readonly expectedShare: number;
        readonly observed: number;
        readonly observedShare: number | null;
      }[];
      readonly chiSquare: number | null;
      readonly degreesOfFreedom: number;
      readonly pValue: number;
      readonly mismatch: boolean;
    }
  | { readonly checked: false; readonly reason: string };

/**
 * Sample ratio mismatch of units per arm against the configured weights. Units, not impressions:
 * the router assigns users, and one user's impressions are not independent draws, so a
 * chi-square test on impressions raises false alarms whenever users differ in activity.
 */
export function checkSampleRatio(arms: readonly ArmTally[], weights: ArmWeights | undefined): SrmCheck {
  if (weights === undefined) return { checked: false, reason: 'SRM not checked: pass --weights' };
  const unweighted = arms.filter((arm) => !weights.has(arm.arm)).map((arm) => `"${arm.arm}"`);
  if (unweighted.length > 0) return { checked: false, reason: `SRM not checked: --weights gives no weight for arm ${unweighted.join(', ')}` };
  const observed = arms.map((arm) => arm.units.length);
  const armWeights = arms.map((arm) => weights.get(arm.arm) ?? 0);
  const result = sampleRatioMismatch(observed, armWeights, SRM_THRESHOLD);
  const totalUnits = observed.reduce((sum, count) => sum + count, 0);
  const totalWeight = armWeights.reduce((sum, weight) => sum + weight, 0);
  return {
    checked: true,
    basis: 'units',
    threshold: SRM_THRESHOLD,
    arms: arms.map((arm, index) => ({
      name: arm.arm,
      weight: armWeights[index] ?? 0,
      expectedShare: (armWeights[index] ?? 0) / totalWeight,
      observed: observed[index] ?? 0,
      observedShare: totalUnits === 0 ? null : (observed[index] ?? 0) / totalUnits,
    })),
    chiSquare: Number.isFinite(result.chiSquare) ? result.chiSquare : null,
    degreesOfFreedom: result.degreesOfFreedom,
    pValue: result.pValue,
    mismatch: result.mismatch,
  };
}
