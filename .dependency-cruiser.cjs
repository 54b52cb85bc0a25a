/**
 * Architecture rules (see README, "Architecture"). `npm run lint` fails on any violation.
 * Paths are matched relative to the folder depcruise runs in, so the same rules check the
 * project and the fixtures in test/fixtures/layering.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-import-cycles',
      severity: 'error',
      comment: 'Cycles make start-up order and testing fragile; cut the cycle with an interface or a new module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kafka-clients-only-in-src-kafka',
      severity: 'error',
      comment: 'Only src/kafka/ talks to Kafka, so the runtime also runs on the in-memory test driver.',
      from: { path: '^src/', pathNot: '^src/kafka/' },
      to: { path: '(^|/)node_modules/(kafkajs|@platformatic/kafka)/|^(kafkajs|@platformatic/kafka)$' },
    },
    {
      name: 'each-kafka-client-in-its-adapter',
      severity: 'error',
      comment: '@platformatic/kafka is used by its adapter only (src/kafka/platformatic/).',
      from: { path: '^src/kafka/', pathNot: '^src/kafka/platformatic/' },
      to: { path: '(^|/)node_modules/@platformatic/kafka/|^@platformatic/kafka$' },
    },
    {
      name: 'kafkajs-only-in-its-adapter',
      severity: 'error',
      comment: 'kafkajs is used by its adapter only (src/kafka/kafkajs/): admin steps and operator tools run on @platformatic/kafka.',
      from: { path: '^src/kafka/', pathNot: '^src/kafka/kafkajs/' },
      to: { path: '(^|/)node_modules/kafkajs/|^kafkajs$' },
    },
    {
      name: 'onnxruntime-only-in-onnx-handler',
      severity: 'error',
      comment: 'Only the ONNX model handler loads onnxruntime-node, through its one import point src/inference/onnx/ort.ts.',
      from: { path: '^src/', pathNot: '^src/inference/onnx/ort\\.ts$' },
      to: { path: '(^|/)onnxruntime-node(/|$)' },
    },
    {
      name: 'opentelemetry-sdk-only-in-the-cli',
      severity: 'error',
      comment: 'The library depends on @opentelemetry/api only; the CLI chooses and starts the SDK and its exporters.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '(^|/)@opentelemetry/(?!api(/|$))' },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      comment: 'src/cli is the composition root: it may import everything, nothing imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'kafka-layer-is-not-imported-by-the-core',
      severity: 'error',
      comment: 'Dependency direction: cli -> kafka -> runtime -> {topology, inference, ...} -> errors.',
      from: { path: '^src/', pathNot: '^src/(kafka|cli)/|^src/index\\.ts$' },
      to: { path: '^src/kafka/' },
    },
    {
      name: 'runtime-is-not-imported-by-its-parts',
      severity: 'error',
      comment: 'topology, inference, routing, transforms, serde, experiments and telemetry stay below the runtime.',
      from: { path: '^src/(topology|inference|routing|transforms|serde|experiments|telemetry|config)/|^src/errors\\.ts$' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'errors-and-config-are-leaves',
      severity: 'error',
      comment: 'errors.ts and config/ sit at the bottom: they import no other part of kascade.',
      from: { path: '^src/(errors\\.ts$|config/)' },
      to: { path: '^src/', pathNot: '^src/(errors\\.ts$|config/)' },
    },
    {
      name: 'src-does-not-import-tests-or-scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|integration-tests|scripts|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.stack|test/fixtures)/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
