import { parseArgs } from 'node:util';
import { commandConnection } from '../connection-settings.js';
import { ensureTopics } from '../../kafka/admin/topic-admin.js';
import { selectStages } from '../../kafka/topology-runner.js';
import { loadTopologyFile } from '../../topology/load.js';
import { topologyTopics } from '../../topology/topics.js';
import { print, UsageError, type Command } from '../command.js';

export const topicsCommand: Command = {
  name: 'topics',
  summary: 'create every topic a topology needs, with its partition count (idempotent)',
  usage: `kascade topics <topology.yaml> [--stage NAME]...

  --stage NAME   only the topics of these stages`,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { stage: { type: 'string', multiple: true } }, allowPositionals: true });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('topics takes exactly one topology file');
    const { spec } = await loadTopologyFile(file);
    const required = topologyTopics(spec, selectStages(spec, values.stage));
    const result = await ensureTopics({ connection: commandConnection(), clientId: 'kascade-topics' }, required);
    const existing = new Map(result.existing.map((entry) => [entry.topic, entry.partitions]));
    let mismatches = 0;
    for (const requirement of required) {
      const found = existing.get(requirement.topic);
      if (found === undefined) {
        print(`created  ${requirement.topic} (${requirement.partitions} partitions)`);
      } else if (found !== requirement.partitions) {
        mismatches++;
        print(`MISMATCH ${requirement.topic}: exists with ${found} partitions, topology declares ${requirement.partitions} (not changed: repartitioning moves keys)`);
      } else {
        print(`exists   ${requirement.topic} (${found} partitions)`);
      }
    }
    return mismatches === 0 ? 0 : 1;
  },
};
