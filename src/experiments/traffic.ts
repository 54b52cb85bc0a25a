import { uniform } from './click-model.js';

/** A simulated ad request: who asks, and the 32 features the CTR models take. */
export interface SimulatedRequest {
  readonly id: string;
  readonly user: string;
  /** The user's region (fixed per user): picks the regional model in the per-key pattern. */
  readonly region: string;
  readonly features: number[];
}

export const REGIONS = ['eu', 'us', 'apac', 'latam'] as const;

/**
 * Requests of a population: request i comes from user U(seed, "who", i) * users, so users ask
 * different numbers of times (as real ones do), and its features are uniform in [-1, 1).
 * Deterministic in (seed, i): a replay of the simulation is the same traffic.
 */
export function simulatedRequest(seed: string, index: number, users: number): SimulatedRequest {
  const user = `user-${Math.floor(uniform(seed, 'who', String(index)) * users)}`;
  const region = REGIONS[Math.floor(uniform(seed, 'region', user) * REGIONS.length)] ?? 'us';
  const features = Array.from({ length: 32 }, (_, feature) => Math.fround(uniform(seed, `feature-${feature}`, String(index)) * 2 - 1));
  return { id: `${seed}-${index}`, user, region, features };
}
