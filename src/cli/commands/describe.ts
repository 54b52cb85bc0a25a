import { describeTopology } from '../../topology/describe.js';
import { loadTopologyFile } from '../../topology/load.js';
import { print, UsageError, type Command } from '../command.js';

export const describeCommand: Command = {
  name: 'describe',
  summary: 'print the stages and topics of a topology as a graph',
  usage: 'kascade describe <topology.yaml>',
  async run(args) {
    const [file, ...extra] = args;
    if (file === undefined || extra.length > 0 || file.startsWith('-')) throw new UsageError('describe takes exactly one topology file');
    print(describeTopology((await loadTopologyFile(file)).spec));
    return 0;
  },
};
