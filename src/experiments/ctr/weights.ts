/** Configured arm weights (`--weights champion=90,challenger=10`): relative shares, in the order written. */
export type ArmWeights = ReadonlyMap<string, number>;

export type WeightsParse = { readonly weights: ArmWeights } | { readonly problem: string };

/** Parses `name=weight,name=weight`; weights are positive numbers and need not sum to 100. */
export function parseWeights(text: string): WeightsParse {
  const weights = new Map<string, number>();
  for (const entry of text.split(',').map((part) => part.trim())) {
    const match = /^([^=\s]+)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (match === null) return { problem: `"${entry}" is not name=weight (e.g. champion=50,challenger=50)` };
    const [, name = '', raw = ''] = match;
    const weight = Number(raw);
    if (!(weight > 0)) return { problem: `arm "${name}" has weight ${raw}: weights must be positive` };
    if (weights.has(name)) return { problem: `arm "${name}" is given twice` };
    weights.set(name, weight);
  }
  if (weights.size < 2) return { problem: 'name at least two arms (e.g. champion=50,challenger=50)' };
  return { weights };
}

/** The arm with the largest weight; the first written wins a tie. */
export function heaviestArm(weights: ArmWeights): string | undefined {
  let best: [string, number] | undefined;
  for (const entry of weights) if (best === undefined || entry[1] > best[1]) best = entry;
  return best?.[0];
}
