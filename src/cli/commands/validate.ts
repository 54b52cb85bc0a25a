import { parseArgs } from 'node:util';
import { loadTopologyFile } from '../../topology/load.js';
import { topologyTopics } from '../../topology/topics.js';
import { formatProblem } from '../../topology/topology-error.js';
import { print, printError, UsageError, type Command } from '../command.js';
import { transformsFor } from '../load-transforms.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a topology file: schema, graph, files; exit 1 with file and path of every problem',
  usage: `kascade validate <topology.yaml> [--transforms MODULE]...

  --transforms MODULE   also check that every transform the topology names is registered by these modules
Warnings go to stderr and do not fail the check (exit 0): what only the schema registry can settle
when a stage starts, e.g. the passthrough types of an Avro input topic without a schema: file.`,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { transforms: { type: 'string', multiple: true } }, allowPositionals: true });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('validate takes exactly one topology file');
    const modules = values.transforms ?? [];
    // Without --transforms, names other than the built-ins may be the user's: only with modules is every name checked.
    const registry = await transformsFor(file, modules);
    const loaded = await loadTopologyFile(file, modules.length > 0 ? { knownFunctions: registry } : {});
    // Warnings do not fail validation: the schema registry may settle them when the stage starts.
    for (const warning of loaded.warnings) printError(`warning: ${formatProblem(loaded.file, warning)}`);
    print(`ok: ${file}: topology "${loaded.spec.name}", ${loaded.spec.stages.length} stages, ${topologyTopics(loaded.spec).length} topics`);
    return 0;
  },
};
