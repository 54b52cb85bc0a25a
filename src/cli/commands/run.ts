import { parseArgs } from 'node:util';
import { connectionFromEnv } from '../../config/connection.js';
import { runTopology } from '../../kafka/topology-runner.js';
import { jsonLogger, type LogLevel } from '../../telemetry/logger.js';
import { createHttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import { createTopicSerdes } from '../../serde/serde-factory.js';
import { loadTopologyFile } from '../../topology/load.js';
import { TransformRegistry } from '../../transforms/transform-registry.js';
import { printError, UsageError, type Command } from '../command.js';
import { loadTransformModules } from '../load-transforms.js';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export const runCommand: Command = {
  name: 'run',
  summary: 'run the stages of a topology as consumer-group services (all stages, or the named ones)',
  usage: `kascade run <topology.yaml> [--stage NAME]... [--transforms MODULE]... [--no-create-topics]

  --stage NAME          run only this stage (repeat for several); each is its own consumer group
  --transforms MODULE   load user transforms: the module's default export maps names to functions
  --no-create-topics    fail instead of creating missing topics
Stops cleanly on SIGTERM or SIGINT: finishes the batch in flight, commits, leaves the group.
Logs are JSON lines on stderr; KASCADE_LOG_LEVEL=debug|info|warn|error (default info).`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        stage: { type: 'string', multiple: true },
        transforms: { type: 'string', multiple: true },
        'no-create-topics': { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('run takes exactly one topology file');
    const level = (process.env['KASCADE_LOG_LEVEL'] ?? 'info') as LogLevel;
    if (!LEVELS.includes(level)) throw new UsageError(`KASCADE_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
    const logger = jsonLogger(level);

    const transforms = new TransformRegistry();
    await loadTransformModules(values.transforms ?? [], transforms);
    const { spec, baseDir, modelsRoot } = await loadTopologyFile(file, { knownFunctions: transforms });
    const connection = connectionFromEnv();
    const serdes = createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir });
    const running = await runTopology({
      spec,
      connection,
      serdes,
      plugins: { transforms },
      logger,
      modelsRoot,
      ...(values.stage === undefined ? {} : { stages: values.stage }),
      createTopics: values['no-create-topics'] !== true,
    });

    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const ended = await Promise.race([signalled.then((signal) => ({ signal })), running.firstExit]);
    if ('signal' in ended) {
      logger.info('stopping', { signal: ended.signal });
      await running.stop();
      return 0;
    }
    await running.stop();
    if (ended.exit.kind === 'failed') {
      printError(`stage ${ended.stage} failed: ${ended.exit.error.message}`);
      return 1;
    }
    return 0;
  },
};
