import { parseArgs } from 'node:util';
import { connectionFromEnv } from '../../config/connection.js';
import { parseTimePoint, type TimePoint } from '../../experiments/ctr/time-point.js';
import { startGroupAt } from '../../kafka/admin/group-start.js';
import { runTopology, selectStages } from '../../kafka/topology-runner.js';
import { guardKafkaClientCallbacks } from '../../kafka/client-callback-guard.js';
import { rerunTopology } from '../../topology/rerun.js';
import { stageInputs } from '../../topology/spec.js';
import { startHealthServer } from '../../telemetry/health-server.js';
import { StageHealthBoard } from '../../telemetry/stage-health.js';
import { jsonLogger, type Logger, type LogLevel } from '../../telemetry/logger.js';
import { createHttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import { createTopicSerdes } from '../../serde/serde-factory.js';
import { loadTopologyFile } from '../../topology/load.js';
import { printError, UsageError, type Command } from '../command.js';
import { transformsFor } from '../load-transforms.js';
import { readOtelEnvironment } from '../otel-environment.js';
import { setUpTelemetry, type MetricsHandler } from '../telemetry-setup.js';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

function metricsPort(option: string | undefined): number {
  const text = option ?? process.env['KASCADE_METRICS_PORT'] ?? '9464';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--metrics-port must be a port number (0 picks a free one), got "${text}"`);
  return port;
}

/** The process's endpoints; a port already taken is a warning, not a failure to run. */
async function startEndpoints(port: number, ready: () => boolean, metrics: MetricsHandler, board: StageHealthBoard, logger: Logger): Promise<{ close(): Promise<void> } | undefined> {
  try {
    const server = await startHealthServer({ port, ready, metrics, stages: () => board.stages() });
    logger.info('endpoints listening', { port: server.port, paths: '/healthz,/readyz,/metrics' });
    return server;
  } catch (error) {
    logger.warn('endpoints not started (set --metrics-port, or --no-metrics)', { port, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

interface RerunArguments {
  readonly stage: string;
  readonly group: string;
  readonly outputSuffix: string | undefined;
  readonly from: TimePoint | undefined;
  readonly fromText: string | undefined;
}

/** --group / --from / --output-suffix: one stage re-run under a fresh group, or undefined for a normal run. */
function rerunOptions(values: { stage?: string[]; group?: string; from?: string; 'output-suffix'?: string }): RerunArguments | undefined {
  const { group, from } = values;
  const suffix = values['output-suffix'];
  if (group === undefined) {
    if (from !== undefined || suffix !== undefined) throw new UsageError('--from and --output-suffix need --group NEW_GROUP (a re-run never moves the offsets of the stage\'s own group)');
    return undefined;
  }
  const stages = values.stage ?? [];
  if (stages.length !== 1 || stages[0] === undefined) throw new UsageError('--group re-runs exactly one stage: give one --stage NAME');
  const point = from === undefined ? undefined : parseTimePoint(from, Date.now());
  if (from !== undefined && point === undefined) throw new UsageError(`--from "${from}" is not an ISO time, -2h-style duration, now, or offset:N`);
  return { stage: stages[0], group, outputSuffix: suffix, from: point, fromText: from };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the stages of a topology as consumer-group services (all stages, or the named ones)',
  usage: `kascade run <topology.yaml> [--stage NAME]... [--transforms MODULE]... [--no-create-topics]
       kascade run <topology.yaml> --stage NAME --group NEW_GROUP [--from TIME|offset:N] [--output-suffix .SUFFIX]

  --stage NAME          run only this stage (repeat for several); each is its own consumer group
  --transforms MODULE   load user transforms: the module's default export maps names to functions
  --no-create-topics    fail instead of creating missing topics
Re-running one stage for an experiment (production offsets and outputs stay untouched):
  --group NEW_GROUP     consume under this consumer group instead of the stage's own
  --from POINT          start the new group there: ISO time, -2h, or offset:N (refused when the
                        group already has offsets)
  --output-suffix SFX   write to <output>SFX and <dead-letter topic>SFX, declared like the originals
Endpoints: /healthz, /readyz and /metrics (Prometheus) on --metrics-port (default
KASCADE_METRICS_PORT or 9464; 0 picks a free port); --no-metrics turns them off.
Stops cleanly on SIGTERM or SIGINT: finishes the batch in flight, commits, leaves the group.
Traces and metrics are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the
per-signal endpoint) is set; also read: OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, the
default, or http/json), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER (otlp|none),
OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, OTEL_METRIC_EXPORT_INTERVAL, OTEL_SDK_DISABLED.
Logs are JSON lines on stderr; KASCADE_LOG_LEVEL=debug|info|warn|error (default info).`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        stage: { type: 'string', multiple: true },
        transforms: { type: 'string', multiple: true },
        'no-create-topics': { type: 'boolean' },
        group: { type: 'string' },
        from: { type: 'string' },
        'output-suffix': { type: 'string' },
        'metrics-port': { type: 'string' },
        'no-metrics': { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('run takes exactly one topology file');
    const level = (process.env['KASCADE_LOG_LEVEL'] ?? 'info') as LogLevel;
    if (!LEVELS.includes(level)) throw new UsageError(`KASCADE_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
    const logger = jsonLogger(level);

    const transforms = await transformsFor(file, values.transforms ?? []);
    const loaded = await loadTopologyFile(file, { knownFunctions: transforms });
    const { baseDir, modelsRoot } = loaded;
    const rerun = rerunOptions(values);
    const spec = rerun === undefined ? loaded.spec : rerunTopology(loaded.spec, rerun);
    const connection = connectionFromEnv();
    if (rerun?.from !== undefined) {
      const stage = selectStages(spec, [rerun.stage])[0];
      const positions = await startGroupAt({ connection, clientId: 'kascade-run' }, rerun.group, stage === undefined ? [] : stageInputs(stage), rerun.from);
      logger.info('re-run starts', { stage: rerun.stage, group: rerun.group, from: rerun.fromText, offsets: positions.map((entry) => `${entry.topic}[${entry.partition}]@${entry.offset}`).join(',') });
    }
    const serdes = createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir });
    const serveMetrics = values['no-metrics'] !== true;
    const port = serveMetrics ? metricsPort(values['metrics-port']) : undefined;
    const telemetry = setUpTelemetry({ settings: readOtelEnvironment(process.env), prometheus: serveMetrics, stages: selectStages(spec, values.stage).map((stage) => stage.name), logger });
    const state = { ready: false };
    const board = new StageHealthBoard();
    const endpoints = port === undefined || telemetry.metricsHandler === undefined ? undefined : await startEndpoints(port, () => state.ready, telemetry.metricsHandler, board, logger);
    let running: Awaited<ReturnType<typeof runTopology>> | undefined;
    const unguard = guardKafkaClientCallbacks((error) => {
      logger.error('the Kafka client failed inside its own code; restarting the stages\' clients', { error: error.message, at: error.stack?.split('\n')[1]?.trim() ?? '' });
      running?.restartClients(`the Kafka client failed: ${error.message}`);
    });
    try {
      running = await runTopology({
        spec,
        connection,
        serdes,
        plugins: { transforms },
        logger,
        modelsRoot,
        ...(values.stage === undefined ? {} : { stages: values.stage }),
        createTopics: values['no-create-topics'] !== true,
        board,
      });
    } catch (error) {
      // The endpoints' server would keep the process alive after a failed start.
      unguard();
      await endpoints?.close();
      await telemetry.shutdown();
      throw error;
    }
    // runTopology returns once every stage joined its group with its models loaded.
    state.ready = true;

    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const ended = await Promise.race([signalled.then((signal) => ({ signal })), running.firstExit]);
    state.ready = false;
    if ('signal' in ended) logger.info('stopping', { signal: ended.signal });
    await running.stop();
    unguard();
    await endpoints?.close();
    await telemetry.shutdown();
    if ('signal' in ended) return 0;
    if (ended.exit.kind === 'failed') {
      printError(`stage ${ended.stage} failed: ${ended.exit.error.message}`);
      return 1;
    }
    return 0;
  },
};
