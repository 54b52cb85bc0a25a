import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { uniform } from './click-model.js';

const Vector = z.array(z.number());

/** models/demo-world.json: the demo's hidden truth, written by models/generate.py (see models/README.md). */
const DemoWorldFile = z.strictObject({
  description: z.string(),
  regions: z.array(z.string().min(1)).min(1),
  categories: z.array(z.string().min(1)).min(1),
  userFeatures: z.number().int().min(1),
  bias: z.number(),
  regionCategoryAffinity: z.record(z.string(), z.record(z.string(), z.number())),
  interaction: z.array(Vector),
  ads: z.array(z.strictObject({ id: z.string().min(1), category: z.string().min(1), quality: z.number(), features: Vector })).min(1),
});
export type DemoWorld = z.output<typeof DemoWorldFile>;

/** A request of the demo world: who asks, their region, and their features (what the candidate model reads). */
export interface WorldRequest {
  readonly id: string;
  readonly user: string;
  readonly region: string;
  readonly features: number[];
}

export function loadDemoWorld(file: string): DemoWorld {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the demo world ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = DemoWorldFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`}`);
  }
  const world = parsed.data;
  const width = world.userFeatures;
  if (world.interaction.length !== width || world.interaction.some((row) => row.length !== world.ads[0]?.features.length)) {
    throw new Error(`${file}: interaction must be ${width} rows of the ads' feature width`);
  }
  for (const region of world.regions) {
    for (const category of world.categories) {
      if (world.regionCategoryAffinity[region]?.[category] === undefined) throw new Error(`${file}: regionCategoryAffinity.${region}.${category} is missing`);
    }
  }
  return world;
}

/**
 * A user of the demo world, fixed by (seed, user id): region uniform among the regions, each
 * feature uniform in [-1, 1), derived from SHA-256 like the rest of the simulation so that any
 * process recomputes the same user without shared state. Features are float32 values, as the
 * models read them.
 */
export function worldUser(world: DemoWorld, seed: string, user: string): { region: string; features: number[] } {
  const region = world.regions[Math.floor(uniform(seed, 'region', user) * world.regions.length)] ?? world.regions[0] ?? '';
  const features = Array.from({ length: world.userFeatures }, (_, index) => Math.fround(uniform(seed, `user-feature-${index}`, user) * 2 - 1));
  return { region, features };
}

/** Request `index` of the traffic: user U(seed, "who", index) * users, so users come back a varying number of times. */
export function worldRequest(world: DemoWorld, seed: string, index: number, users: number): WorldRequest {
  const user = `user-${Math.floor(uniform(seed, 'who', String(index)) * users)}`;
  return { id: `${seed}-${index}`, user, ...worldUser(world, seed, user) };
}

/** The hidden truth: p(click | u, r, ad) = sigmoid(bias + quality + affinity[r][category] + u^T W a). */
export function trueClickProbability(world: DemoWorld, features: readonly number[], region: string, adId: string): number {
  const ad = world.ads.find((candidate) => candidate.id === adId);
  if (ad === undefined) throw new RangeError(`the demo world has no ad "${adId}"`);
  let logit = world.bias + ad.quality + (world.regionCategoryAffinity[region]?.[ad.category] ?? 0);
  world.interaction.forEach((row, i) => {
    const u = features[i] ?? 0;
    row.forEach((weight, k) => {
      logit += u * weight * (ad.features[k] ?? 0);
    });
  });
  return 1 / (1 + Math.exp(-logit));
}
