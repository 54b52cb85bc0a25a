import { ensureTopics } from '../../src/kafka/admin/topic-admin.js';
import { Child } from './child.js';
import type { Cluster } from './cluster.js';
import { tracedStageEnvironment } from './otlp-sink.js';

/** What one throughput run needs: where it reads, how it starts, where its outputs land. */
export interface RunContext {
  readonly cluster: Cluster;
  /** Names the preloaded input topics. */
  readonly data: string;
  /** Fresh per run: output topics and consumer groups. */
  readonly run: string;
  /** Where traced runs export their spans (an HTTP sink in the bench process). */
  readonly otlpSink: string;
}

export type DataSet = 'requests' | 'heavy-requests' | 'keyed-colocated' | 'keyed-hashed';

export interface ThroughputScenario {
  readonly name: string;
  readonly description: string;
  readonly data: DataSet;
  /** Outputs to wait for before stopping (the measure trims the first and last 10%). */
  readonly target: number;
  outputs(run: string): string[];
  start(context: RunContext): Promise<Child[]>;
  /** Runs on the same `run` right after the previous scenario (reads what it wrote). */
  readonly after?: string;
}

/** The Kafka client kascade's stages run on when KASCADE_KAFKA_CLIENT is not set (src/config/connection.ts). */
export const DEFAULT_KAFKA_CLIENT = 'platformatic';

/** The client a scenario's stages run on, named in every run (a variant may set KASCADE_KAFKA_CLIENT for the default ones). */
function stageClient(): string {
  return process.env['KASCADE_KAFKA_CLIENT'] ?? DEFAULT_KAFKA_CLIENT;
}

/** One or more instances of bench stages, each its own process (`kascade run --stage ...`). */
function stages(names: readonly string[], instances = 1, env: Readonly<Record<string, string>> = {}, traced = false) {
  return (context: RunContext): Promise<Child[]> => {
    const tracing = traced ? tracedStageEnvironment(context.otlpSink) : {};
    const client = { KASCADE_KAFKA_CLIENT: stageClient() };
    return Promise.resolve(
      Array.from({ length: instances }, () =>
        names.map((name) => Child.stage([name], { KASCADE_DATA: context.data, KASCADE_RUN: context.run, ...client, ...tracing, ...env }, ['--metrics-port', '0'])),
      ).flat(),
    );
  };
}

/** The hand-written pass-through of each client (bench/baselines). */
const PASSTHROUGH_SCRIPTS = { kafkajs: 'bench/baselines/passthrough.ts', platformatic: 'bench/baselines/passthrough-platformatic.ts' } as const;

function passthrough(mode: 'bytes' | 'avro', client: keyof typeof PASSTHROUGH_SCRIPTS) {
  return async (context: RunContext): Promise<Child[]> => {
    const output = `${context.run}.pass`;
    await ensureTopics(context.cluster.access, [{ topic: output, partitions: 4 }]);
    return [Child.script(PASSTHROUGH_SCRIPTS[client], ['--input', `${context.data}.requests`, '--output', output, '--group', `bench-${context.run}.pass`, '--mode', mode])];
  };
}

/** The hand-written Python consumer (bench/python), same model and batch size as `small`. */
function python(batch: number) {
  return async (context: RunContext): Promise<Child[]> => {
    const output = `${context.run}.python`;
    await ensureTopics(context.cluster.access, [{ topic: output, partitions: 4 }]);
    const { connection } = context.cluster;
    return [
      new Child('.bench-venv/bin/python', [
        'bench/python/baseline.py',
        '--brokers', connection.brokers.join(','),
        '--registry', connection.schemaRegistryUrl,
        '--input', `${context.data}.requests`,
        '--output', output,
        '--group', `bench-${context.run}.python`,
        '--model', 'models/ctr-logreg.onnx',
        '--batch-size', String(batch),
        '--count', String(10 ** 9),
        '--passthrough', 'id,user',
      ]),
    ];
  };
}

/** The environment of the scenarios that run kascade's stages on the kafkajs adapter. */
const KAFKAJS = { KASCADE_KAFKA_CLIENT: 'kafkajs' } as const;

export function throughputScenarios(scale: number, batch: number): ThroughputScenario[] {
  const n = (count: number): number => Math.max(2000, Math.round(count * scale));
  // --batch sets the kascade stages' batch size (bench.yaml reads KASCADE_BATCH), as it sets Python's and ort-only's.
  const kascade = (names: readonly string[], instances = 1, env: Readonly<Record<string, string>> = {}, traced = false) =>
    stages(names, instances, { KASCADE_BATCH: String(batch), ...env }, traced);
  return [
    // The limits of each client: a kascade scenario is compared with the pass-through of the client it runs on.
    { name: 'platformatic-passthrough', description: 'limit: @platformatic/kafka consume -> produce of the same bytes', data: 'requests', target: n(200_000), outputs: (run) => [`${run}.pass`], start: passthrough('bytes', 'platformatic') },
    { name: 'kafkajs-passthrough', description: 'limit: kafkajs consume -> produce of the same bytes', data: 'requests', target: n(200_000), outputs: (run) => [`${run}.pass`], start: passthrough('bytes', 'kafkajs') },
    {
      name: 'platformatic-avro-passthrough',
      description: 'limit: @platformatic/kafka + registry Avro decode and encode, no model',
      data: 'requests',
      target: n(100_000),
      outputs: (run) => [`${run}.pass`],
      start: passthrough('avro', 'platformatic'),
    },
    { name: 'kafkajs-avro-passthrough', description: 'limit: kafkajs + registry Avro decode and encode, no model', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.pass`], start: passthrough('avro', 'kafkajs') },
    // router, small and small-eos run on the default client; their -kafkajs copies on kafkajs, in the same repetitions.
    { name: 'router', description: 'kascade router, 2 arms, sticky by user', data: 'requests', target: n(200_000), outputs: (run) => [`${run}.arm-a`, `${run}.arm-b`], start: kascade(['router']) },
    { name: 'router-kafkajs', description: 'router on the kafkajs adapter', data: 'requests', target: n(200_000), outputs: (run) => [`${run}.arm-a`, `${run}.arm-b`], start: kascade(['router'], 1, KAFKAJS) },
    { name: 'small', description: 'kascade inference, ctr-logreg (32 features)', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.small`], start: kascade(['small']) },
    { name: 'small-kafkajs', description: 'small on the kafkajs adapter', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.small`], start: kascade(['small'], 1, KAFKAJS) },
    { name: 'small-traced', description: 'small, tracing on (OTLP export to a local sink)', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.small`], start: kascade(['small'], 1, {}, true) },
    {
      name: 'small-sampled',
      description: 'small-traced with 10% of traces sampled (parentbased_traceidratio)',
      data: 'requests',
      target: n(100_000),
      outputs: (run) => [`${run}.small`],
      start: kascade(['small'], 1, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }, true),
    },
    { name: 'small-eos', description: 'small, exactly-once', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.small`], start: kascade(['small'], 1, { KASCADE_DELIVERY: 'exactly-once' }) },
    {
      name: 'small-eos-kafkajs',
      description: 'small, exactly-once, on the kafkajs adapter',
      data: 'requests',
      target: n(100_000),
      outputs: (run) => [`${run}.small`],
      start: kascade(['small'], 1, { KASCADE_DELIVERY: 'exactly-once', ...KAFKAJS }),
    },
    { name: 'heavy', description: 'kascade inference, bench-heavy (inference-bound)', data: 'heavy-requests', target: n(80_000), outputs: (run) => [`${run}.heavy`], start: kascade(['heavy']) },
    { name: 'cascade-a', description: 'cascade stage A alone (ctr-logreg, passes features on)', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.first`], start: kascade(['cascade-a']) },
    { name: 'cascade-b', description: "cascade stage B alone, on A's output", data: 'requests', target: n(100_000), outputs: (run) => [`${run}.second`], start: kascade(['cascade-b']), after: 'cascade-a' },
    { name: 'cascade', description: 'the 2-model cascade, A and B as two processes', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.second`], start: kascade(['cascade-a', 'cascade-b']) },
    { name: 'small-x2', description: 'small, 2 instances', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.small`], start: kascade(['small'], 2) },
    { name: 'keyed-colocated', description: 'keyed, 4 models, max 2 loaded, 2 instances, colocated', data: 'keyed-colocated', target: n(100_000), outputs: (run) => [`${run}.keyed`], start: kascade(['keyed'], 2) },
    { name: 'keyed-hashed', description: 'keyed, 4 models, max 2 loaded, 2 instances, key-hash partitioned', data: 'keyed-hashed', target: n(100_000), outputs: (run) => [`${run}.keyed-hashed`], start: kascade(['keyed-hashed'], 2) },
    { name: 'python', description: 'hand-written Python consumer (confluent-kafka, fastavro, onnxruntime), ctr-logreg', data: 'requests', target: n(100_000), outputs: (run) => [`${run}.python`], start: python(batch) },
  ];
}
