import { runTopology, type RunningTopology } from '../../src/kafka/topology-runner.js';
import { onnxRunner } from '../../src/runtime/stage-handlers.js';
import { createHttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { createTopicSerdes } from '../../src/serde/serde-factory.js';
import { jsonLogger } from '../../src/telemetry/logger.js';
import { Topology } from '../../src/topology/spec.js';
import { TransformRegistry } from '../../src/transforms/transform-registry.js';
import type { KafkaClientName } from '../../src/config/connection.js';
import { connection } from './kafka.js';

export interface EchoStage {
  readonly running: RunningTopology;
  /** The stage's consumer group. */
  readonly group: string;
  readonly output: string;
  /** The stage's log lines so far. */
  readonly logs: string[];
}

/** A one-stage topology on the local broker copying `topic` (external, `partitions`) to `<topic>.echoed`, on `client` (default: the environment's). */
export async function runEchoStage(topic: string, partitions: number, client?: KafkaClientName): Promise<EchoStage> {
  const output = `${topic}.echoed`;
  const spec = Topology.parse({
    name: `${topic.replaceAll('.', '-')}-stage`,
    modelsRoot: 'models',
    topics: { [topic]: { partitions, external: true }, [output]: { partitions } },
    stages: [{ name: 'echo', type: 'transform', input: topic, function: 'echo', output, consumer: { sessionTimeoutMs: 6000 } }],
  });
  const logs: string[] = [];
  const running = await runTopology({
    spec,
    connection: client === undefined ? connection : { ...connection, client },
    serdes: createTopicSerdes(spec, { registry: createHttpSchemaRegistryClient(connection), baseDir: process.cwd() }),
    plugins: { transforms: new TransformRegistry().register('echo', (value) => value), createModelRunner: onnxRunner },
    logger: jsonLogger('info', {}, (line) => logs.push(line)),
    modelsRoot: 'models',
  });
  return { running, group: `${spec.name}.echo`, output, logs };
}
