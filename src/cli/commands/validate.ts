import { parseArgs } from 'node:util';
import { loadTopologyFile } from '../../topology/load.js';
import { topologyTopics } from '../../topology/topics.js';
import { print, UsageError, type Command } from '../command.js';
import { transformsFor } from '../load-transforms.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a topology file: schema, graph, files; exit 1 with file and path of every problem',
  usage: `kascade validate <topology.yaml> [--transforms MODULE]...

  --transforms MODULE   also check that every transform the topology names is registered by these modules`,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { transforms: { type: 'string', multiple: true } }, allowPositionals: true });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('validate takes exactly one topology file');
    const modules = values.transforms ?? [];
    // Without --transforms, names other than the built-ins may be the user's: only with modules is every name checked.
    const registry = await transformsFor(file, modules);
    const loaded = await loadTopologyFile(file, modules.length > 0 ? { knownFunctions: registry } : {});
    print(`ok: ${file}: topology "${loaded.spec.name}", ${loaded.spec.stages.length} stages, ${topologyTopics(loaded.spec).length} topics`);
    return 0;
  },
};
