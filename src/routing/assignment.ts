import { createHash } from 'node:crypto';
import type { RouterArmSpec } from '../topology/spec.js';
import { murmur2 } from './partitioner.js';

/** Units are hashed into this many buckets; weights map to bucket ranges (0.01% resolution). */
export const BUCKETS = 10_000;

/** The unit's bucket for a salt: deterministic, so the same user gets the same bucket everywhere, forever. */
export function assignmentBucket(salt: string, unit: string): number {
  return (murmur2(Buffer.from(`${salt}\u0000${unit}`, 'utf8')) & 0x7fffffff) % BUCKETS;
}

export interface ArmRange {
  readonly arm: RouterArmSpec;
  /** Buckets [from, to) belong to this arm. */
  readonly from: number;
  readonly to: number;
  /** The arm's share of units: the assignment probability. */
  readonly probability: number;
}

/**
 * Arms take consecutive bucket ranges in the order they are listed, each as wide as its share
 * of the total weight. Moving weight between neighbouring arms shifts one boundary, so only the
 * units between the old and new boundary change arm (50/50 -> 60/40 moves 10% of units).
 */
export function armRanges(arms: readonly RouterArmSpec[]): ArmRange[] {
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  let cumulative = 0;
  return arms.map((arm, index) => {
    const from = Math.round((BUCKETS * cumulative) / total);
    cumulative += arm.weight;
    const to = index === arms.length - 1 ? BUCKETS : Math.round((BUCKETS * cumulative) / total);
    return { arm, from, to, probability: arm.weight / total };
  });
}

export function armForBucket(ranges: readonly ArmRange[], bucket: number): ArmRange {
  const found = ranges.find((range) => bucket >= range.from && bucket < range.to) ?? ranges[ranges.length - 1];
  if (found === undefined) throw new RangeError('a router needs at least one arm');
  return found;
}

/** Whether a unit's copy goes to the mirror: its own hash, so mirroring is sticky and independent of the arm. */
export function isMirrored(salt: string, unit: string, percent: number): boolean {
  return assignmentBucket(`${salt}\u0000mirror`, unit) < Math.round(percent * (BUCKETS / 100));
}

/** A short, stable id of the arms and their weights. */
export function weightsVersion(arms: readonly RouterArmSpec[]): string {
  const canonical = JSON.stringify(arms.map((arm) => [arm.name, arm.weight]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 8);
}
