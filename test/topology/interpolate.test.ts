import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolateString, scrubSecrets } from '../../src/topology/interpolate.js';
import { parseTopology } from '../../src/topology/load.js';
import { catchTopologyError, lines } from './topology-error-assert.js';

const FILE = 'topologies/x.yaml';

/** A one-stage topology whose `input` reads an external topic; `stage` adds lines to the stage. */
function yaml(topicLine: string, stage: string[] = []): string {
  return ['name: t', 'topics:', `  ${topicLine}: { external: true }`, 'stages:', '  - name: a', '    type: transform', `    input: ${topicLine}`, '    function: f', '    output: out', ...stage.map((line) => `    ${line}`), ''].join('\n');
}

test('interpolateString: set variable, default, missing, escaped', () => {
  const env = { A: 'x', EMPTY: '' };
  assert.equal(interpolateString('${A}-y', env).text, 'x-y');
  assert.equal(interpolateString('${B:-dflt}', env).text, 'dflt');
  assert.equal(interpolateString('${EMPTY:-dflt}', env).text, 'dflt', 'like a shell, :- also replaces an empty value');
  assert.equal(interpolateString('${EMPTY}', env).text, '');
  assert.equal(interpolateString('$${A}', env).text, '${A}');
  assert.equal(interpolateString('cost: $5, $$', env).text, 'cost: $5, $$');
  assert.deepEqual(interpolateString('${B}${C}${B}', env).missing, ['B', 'C']);
  assert.equal(interpolateString('${not valid}', env).malformed, true);
  assert.equal(interpolateString('${A', env).malformed, true);
  assert.deepEqual(interpolateString('${A}${B:-d}', env).envValues, ['x'], 'defaults come from the file, not the environment');
});

test('a set variable replaces ${VAR} in values and keys', () => {
  const { spec } = parseTopology(yaml('${PREFIX}.requests'), FILE, { env: { PREFIX: 'prod' } });
  assert.deepEqual(Object.keys(spec.topics), ['prod.requests']);
  assert.equal(spec.stages[0]?.input, 'prod.requests');
});

test('${VAR:-default} uses the default when VAR is unset; an unquoted result is typed like YAML would type it', () => {
  const text = ['name: t', 'topics:', '  in:', '    partitions: ${PARTITIONS:-3}', '    external: ${EXTERNAL:-true}', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: out }', ''].join('\n');
  assert.deepEqual(parseTopology(text, FILE, { env: {} }).spec.topics['in'], { partitions: 3, format: 'json', external: true });
  assert.equal(parseTopology(text, FILE, { env: { PARTITIONS: '12' } }).spec.topics['in']?.partitions, 12);
});

test('an interpolated plain scalar becomes a number or boolean only where the schema wants one', () => {
  const text = ['name: ${NAME}', 'topics:', '  ${TOPIC}:', '    partitions: ${PARTITIONS}', '    external: ${EXTERNAL}', 'stages:', '  - name: a', '    type: transform', '    input: ${TOPIC}', '    function: f', '    output: out', ''].join('\n');
  const { spec } = parseTopology(text, FILE, { env: { NAME: '2024', TOPIC: '42', PARTITIONS: '8', EXTERNAL: 'true' } });
  assert.equal(spec.name, '2024');
  assert.deepEqual(spec.topics, { '42': { partitions: 8, format: 'json', external: true } });
  assert.equal(spec.stages[0]?.input, '42');
  const error = catchTopologyError(() => parseTopology(text, FILE, { env: { NAME: 'n', TOPIC: 't', PARTITIONS: 'many', EXTERNAL: 'yes' } }));
  assert.deepEqual(lines(error), [
    'topologies/x.yaml: topics["${TOPIC}"].partitions: expected a number, got a string',
    'topologies/x.yaml: topics["${TOPIC}"].external: expected true or false, got a string',
  ]);
});

test('a quoted interpolation stays a string', () => {
  const text = ['name: t', 'topics:', '  in:', '    partitions: "${PARTITIONS}"', '    external: true', 'stages:', '  - { name: a, type: transform, input: in, function: f, output: out }', ''].join('\n');
  const error = catchTopologyError(() => parseTopology(text, FILE, { env: { PARTITIONS: '3' } }));
  assert.deepEqual(lines(error), ['topologies/x.yaml: topics.in.partitions: expected a number, got a string']);
});

test('a missing variable without default is a problem at its path', () => {
  const error = catchTopologyError(() => parseTopology(yaml('in', ['group: ${GROUP}', 'deadLetterTopic: ${DLQ}']), FILE, { env: {} }));
  assert.deepEqual(lines(error), [
    'topologies/x.yaml: stages[0].group: environment variable GROUP is not set',
    'topologies/x.yaml: stages[0].deadLetterTopic: environment variable DLQ is not set',
  ]);
});

test('a missing variable in a key is reported at the key as written', () => {
  const error = catchTopologyError(() => parseTopology(yaml('${PREFIX}.requests'), FILE, { env: {} }));
  assert.deepEqual(lines(error), [
    'topologies/x.yaml: topics["${PREFIX}.requests"]: environment variable PREFIX is not set',
    'topologies/x.yaml: stages[0].input: environment variable PREFIX is not set',
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
  const env = { SECRET: secret, TYPE: `x${secret}`, TOPIC: `in-${secret}` };
  const shape = catchTopologyError(() =>
    parseTopology(
      [
        'name: t',
        'topics:',
        '  ${TOPIC}: { external: true }',
        'stages:',
        '  - { name: a, type: transform, input: in, function: f, output: "${SECRET}" }',
        '  - { name: "${SECRET}", type: transform, input: in, function: f, output: o }',
        '  - { name: c, type: "${TYPE}", input: in }',
        '',
      ].join('\n'),
      FILE,
      { env },
    ),
  );
  assert.deepEqual(lines(shape), [
    'topologies/x.yaml: topics["${TOPIC}"]: key is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
    'topologies/x.yaml: stages[0].output: is not a valid Kafka topic name (letters, digits, ".", "_", "-", at most 249)',
    'topologies/x.yaml: stages[1].name: must start with a letter or digit and hold only letters, digits, ".", "_", "-"',
    'topologies/x.yaml: stages[2].type: unknown stage type "${TYPE}" (expected one of: transform, inference, router)',
  ]);

  // Valid values, but graph rules that quote them: they show the text of the file instead.
  const env2 = { IN: 'secret-topic-1234', NAME: 'secret-stage-5678', FN: 'secret-function-9' };
  const graph = catchTopologyError(() =>
    parseTopology(
      [
        'name: t',
        'stages:',
        '  - { name: "${NAME}", type: transform, input: "${IN}", function: "${FN}", output: o }',
        '  - { name: "${NAME}", type: transform, input: o, function: f, output: o2 }',
        '',
      ].join('\n'),
      FILE,
      { env: env2, knownFunctions: ['f'] },
    ),
  );
  assert.deepEqual(lines(graph), [
    'topologies/x.yaml: stages[0].input: topic "${IN}" is read but no stage writes it; declare it under topics with external: true',
    'topologies/x.yaml: stages[0].function: unknown transform "${FN}" (registered: f)',
    'topologies/x.yaml: stages[1].name: duplicate stage name "${NAME}" (also stages[0])',
  ]);
  for (const error of [shape, graph]) {
    const everything = JSON.stringify({ message: error.message, problems: error.problems, stack: error.stack });
    for (const value of [...Object.values(env), ...Object.values(env2)]) assert.ok(!everything.includes(value), `"${value}" leaked`);
    assert.ok(!everything.includes('hunter2'));
  }
});

test('scrubSecrets masks environment values a message would otherwise show, except those the file spells out', () => {
  assert.equal(scrubSecrets('bad value p4ssw0rd here', new Set(['p4ssw0rd']), 'x: ${PASSWORD}'), 'bad value *** here');
  assert.equal(scrubSecrets('topic clicks', new Set(['clicks']), 'input: clicks'), 'topic clicks');
  assert.equal(scrubSecrets('value 6', new Set(['6']), ''), 'value 6', 'too short to mask safely');
});
