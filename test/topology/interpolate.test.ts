import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolateString } from '../../src/topology/interpolate.js';
import { parseTopology } from '../../src/topology/load.js';
import { catchTopologyError, lines } from './topology-error-assert.js';

const FILE = 'topologies/x.yaml';

/** A one-stage topology whose `input` reads an external topic; `stage` adds lines to the stage. */
function yaml(topicLine: string, stage: string[] = []): string {
  return ['name: t', 'topics:', `  ${topicLine}: { external: true }`, 'stages:', '  - name: a', '    type: transform', `    input: ${topicLine}`, '    function: f', '    output: out', ...stage.map((line) => `    ${line}`), ''].join('\n');
}

test('interpolateString: set variable, default, missing, escaped', () => {
  const env = { KASCADE_A: 'x', KASCADE_EMPTY: '' };
  assert.equal(interpolateString('${KASCADE_A}-y', env).text, 'x-y');
  assert.equal(interpolateString('${KASCADE_B:-dflt}', env).text, 'dflt');
  assert.equal(interpolateString('${KASCADE_EMPTY:-dflt}', env).text, 'dflt', 'like a shell, :- also replaces an empty value');
  assert.equal(interpolateString('${KASCADE_EMPTY}', env).text, '');
  assert.equal(interpolateString('$${KASCADE_A}', env).text, '${KASCADE_A}');
  assert.equal(interpolateString('cost: $5, $$', env).text, 'cost: $5, $$');
  assert.deepEqual(interpolateString('${KASCADE_B}${KASCADE_C}${KASCADE_B}', env).missing, ['KASCADE_B', 'KASCADE_C']);
  assert.equal(interpolateString('${not valid}', env).malformed, true);
  assert.equal(interpolateString('${A', env).malformed, true);
});

test('a set variable replaces ${VAR} in values and keys', () => {
  const { spec } = parseTopology(yaml('${KASCADE_PREFIX}.requests'), FILE, { env: { KASCADE_PREFIX: 'prod' } });
  assert.deepEqual(Object.keys(spec.topics), ['prod.requests']);
  assert.equal(spec.stages[0]?.input, 'prod.requests');
});

test('${VAR:-default} uses the default when VAR is unset; an unquoted result is typed like YAML would type it', () => {
  const text = ['name: t', 'topics:', '  in:', '    partitions: ${KASCADE_PARTITIONS:-3}', '    external: ${KASCADE_EXTERNAL:-true}', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: out }', ''].join('\n');
  assert.deepEqual(parseTopology(text, FILE, { env: {} }).spec.topics['in'], { partitions: 3, format: 'json', external: true });
  assert.equal(parseTopology(text, FILE, { env: { KASCADE_PARTITIONS: '12' } }).spec.topics['in']?.partitions, 12);
});

test('an interpolated plain scalar becomes a number or boolean only where the schema wants one', () => {
  const text = ['name: ${KASCADE_NAME}', 'topics:', '  ${KASCADE_TOPIC}:', '    partitions: ${KASCADE_PARTITIONS}', '    external: ${KASCADE_EXTERNAL}', 'stages:', '  - name: a', '    type: transform', '    input: ${KASCADE_TOPIC}', '    function: f', '    output: out', ''].join('\n');
  const { spec } = parseTopology(text, FILE, { env: { KASCADE_NAME: '2024', KASCADE_TOPIC: '42', KASCADE_PARTITIONS: '8', KASCADE_EXTERNAL: 'true' } });
  assert.equal(spec.name, '2024');
  assert.deepEqual(spec.topics, { '42': { partitions: 8, format: 'json', external: true } });
  assert.equal(spec.stages[0]?.input, '42');
  const error = catchTopologyError(() => parseTopology(text, FILE, { env: { KASCADE_NAME: 'n', KASCADE_TOPIC: 't', KASCADE_PARTITIONS: 'many', KASCADE_EXTERNAL: 'yes' } }));
  assert.deepEqual(lines(error), [
    'topologies/x.yaml: topics["${KASCADE_TOPIC}"].partitions: expected a number, got a string',
    'topologies/x.yaml: topics["${KASCADE_TOPIC}"].external: expected true or false, got a string',
  ]);
});

test('a quoted interpolation stays a string', () => {
  const text = ['name: t', 'topics:', '  in:', '    partitions: "${KASCADE_PARTITIONS}"', '    external: true', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: out }', ''].join('\n');
  const error = catchTopologyError(() => parseTopology(text, FILE, { env: { KASCADE_PARTITIONS: '3' } }));
  assert.deepEqual(lines(error), ['topologies/x.yaml: topics.in.partitions: expected a number, got a string']);
});

test('a missing variable without default is a problem at its path', () => {
  const error = catchTopologyError(() => parseTopology(yaml('in', ['group: ${KASCADE_GROUP}', 'deadLetterTopic: ${KASCADE_DLQ}']), FILE, { env: {} }));
  assert.deepEqual(lines(error), [
    'topologies/x.yaml: stages[0].group: environment variable KASCADE_GROUP is not set',
    'topologies/x.yaml: stages[0].deadLetterTopic: environment variable KASCADE_DLQ is not set',
  ]);
});

test('a missing variable in a key is reported at the key as written', () => {
  const error = catchTopologyError(() => parseTopology(yaml('${KASCADE_PREFIX}.requests'), FILE, { env: {} }));
  assert.deepEqual(lines(error), [
    'topologies/x.yaml: topics["${KASCADE_PREFIX}.requests"]: environment variable KASCADE_PREFIX is not set',
    'topologies/x.yaml: stages[0].input: environment variable KASCADE_PREFIX is not set',
  ]);
});

test('$${VAR} is a literal ${VAR}, not a reference', () => {
  const { spec } = parseTopology(['description: pays $${AMOUNT}', yaml('in')].join('\n'), FILE, { env: {} });
  assert.equal(spec.description, 'pays ${AMOUNT}');
});

test('a malformed reference is a problem', () => {
  const error = catchTopologyError(() => parseTopology(['description: "${not a name}"', yaml('in')].join('\n'), FILE, { env: {} }));
  assert.deepEqual(lines(error), ['topologies/x.yaml: description: malformed variable reference: write ${NAME} or ${NAME:-default} (and $${ for a literal ${)']);
});

test('the environment defaults to process.env', () => {
  process.env['KASCADE_TEST_TOPIC_PREFIX'] = 'from-process-env';
  try {
    assert.deepEqual(Object.keys(parseTopology(yaml('${KASCADE_TEST_TOPIC_PREFIX}.in'), FILE).spec.topics), ['from-process-env.in']);
  } finally {
    delete process.env['KASCADE_TEST_TOPIC_PREFIX'];
  }
});

test('a secret never appears in an error, even when the interpolated value is what is invalid', () => {
  const secret = 'hunter2 s3cr3t!';
  const env = { KASCADE_OUTPUT: secret, KASCADE_TYPE: `x${secret}`, KASCADE_TOPIC: `in-${secret}` };
  const shape = catchTopologyError(() =>
    parseTopology(
      [
        'name: t',
        'topics:',
        '  ${KASCADE_TOPIC}: { external: true }',
        'stages:',
        '  - { name: a, type: transform, input: in, function: f, output: "${KASCADE_OUTPUT}" }',
        '  - { name: "${KASCADE_OUTPUT}", type: transform, input: in, function: f, output: o }',
        '  - { name: c, type: "${KASCADE_TYPE}", input: in }',
        '',
      ].join('\n'),
      FILE,
      { env },
    ),
  );
  assert.deepEqual(lines(shape), [
    'topologies/x.yaml: topics["${KASCADE_TOPIC}"]: key is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
    'topologies/x.yaml: stages[0].output: is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
    'topologies/x.yaml: stages[1].name: must start with a letter or digit and hold only letters, digits, ".", "_", "-"',
    'topologies/x.yaml: stages[2].type: unknown stage type "${KASCADE_TYPE}" (expected one of: transform, inference, router)',
  ]);

  // Valid values, but graph rules that quote them: they show the text of the file instead.
  const env2 = { KASCADE_IN: 'secret-topic-1234', KASCADE_NAME: 'secret-stage-5678', KASCADE_FN: 'secret-function-9' };
  const graph = catchTopologyError(() =>
    parseTopology(
      [
        'name: t',
        'stages:',
        '  - { name: "${KASCADE_NAME}", type: transform, input: "${KASCADE_IN}", function: "${KASCADE_FN}", output: o }',
        '  - { name: "${KASCADE_NAME}", type: transform, input: o, function: f, output: o2 }',
        '',
      ].join('\n'),
      FILE,
      { env: env2, knownFunctions: ['f'] },
    ),
  );
  assert.deepEqual(lines(graph), [
    'topologies/x.yaml: stages[0].input: topic "${KASCADE_IN}" is read but no stage writes it; declare it under topics with external: true',
    'topologies/x.yaml: stages[0].function: unknown transform "${KASCADE_FN}" (registered: f)',
    'topologies/x.yaml: stages[1].name: duplicate stage name "${KASCADE_NAME}" (also stages[0])',
  ]);
  for (const error of [shape, graph]) {
    const everything = JSON.stringify({ message: error.message, problems: error.problems, stack: error.stack });
    for (const value of [...Object.values(env), ...Object.values(env2)]) assert.ok(!everything.includes(value), `"${value}" leaked`);
    assert.ok(!everything.includes('hunter2'));
  }
});
