import type { Cluster } from './cluster.js';
import { cohortKey, preload } from './preload.js';
import type { DataSet } from './scenarios.js';

/** Records preloaded per data set at scale 1: more than the largest target that reads it. */
const COUNTS: Readonly<Record<DataSet, number>> = {
  requests: 240_000,
  'heavy-requests': 90_000,
  'keyed-colocated': 120_000,
  'keyed-hashed': 120_000,
};

/** Creates the input topics named by `data` and fills those of `sets` (all by default), once per bench run. */
export async function prepareData(cluster: Cluster, data: string, scale: number, say: (line: string) => void, sets?: ReadonlySet<DataSet>): Promise<void> {
  const loaded = await cluster.topology(data, `${data}-setup`);
  await cluster.createTopics(loaded);
  for (const [set, count] of Object.entries(COUNTS) as [DataSet, number][]) {
    if (sets !== undefined && !sets.has(set)) continue;
    const topic = `${data}.${set}`;
    const total = Math.max(5000, Math.round(count * scale));
    const started = Date.now();
    await preload(cluster, loaded, topic, {
      count: total,
      keyOf: set.startsWith('keyed') ? (index) => cohortKey(index) : (_index, request) => request.user,
      colocated: set === 'keyed-colocated',
    });
    say(`preloaded ${total.toLocaleString('en-US')} records into ${topic} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  // The setup topology's own output topics are not used.
  await cluster.deleteTopics(`${data}-setup.`);
}
