import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ErrorCode, isKascadeError } from '../../src/errors.js';
import { envAllowList } from '../../src/topology/env-allow-list.js';
import { loadTopologyFile, parseTopology } from '../../src/topology/load.js';
import { catchTopologyError, lines, rejectsWithTopologyError } from './topology-error-assert.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/topologies/', import.meta.url));
const FILE = 'topologies/x.yaml';
const HOW_TO_ALLOW = 'allow its prefix with KASCADE_ENV_PREFIXES (comma-separated, e.g. KASCADE_ENV_PREFIXES=PIPELINE_,TEAM_A_)';
const LOOKS_SECRET = "its name looks like a secret's (PASSWORD, SECRET, TOKEN, CREDENTIAL, API_KEY, PRIVATE_KEY, *_HEADERS) and topologies never read secrets; rename the variable if it holds none";

/** A one-stage topology whose input topic and description are the given texts. */
function yaml(input: string, description = 'd'): string {
  return ['name: t', `description: "${description}"`, 'topics:', `  ${input}: { external: true }`, 'stages:', `  - { name: a, type: transform, input: "${input}", function: f, output: out }`, ''].join('\n');
}

test('KASCADE_ names are read: the repository fixture loads with its variables', async () => {
  const env = { KASCADE_PREFIX: 'prod', KASCADE_CUSTOMERS_TABLE: 'customers' };
  const { spec } = await loadTopologyFile('interpolated.yaml', { cwd: FIXTURES, env });
  assert.equal(spec.name, 'interpolated');
  assert.equal(spec.description, 'costs ${NOT_A_VAR}');
  assert.deepEqual(spec.topics, { 'prod.requests': { partitions: 3, format: 'json', external: true } });
  const stage = spec.stages[0];
  assert.ok(stage?.type === 'transform');
  assert.deepEqual([stage.input, stage.output, stage.options], ['prod.requests', 'prod.enriched', { table: 'customers' }]);
});

test('a name outside the allowed prefixes is refused at its path, set or not, and says how to allow it', () => {
  const expected = [
    `topologies/x.yaml: topics["\${RUN}.requests"]: environment variable RUN is not allowed in a topology: only names starting with KASCADE_ are; rename it (e.g. KASCADE_RUN) or ${HOW_TO_ALLOW}`,
    `topologies/x.yaml: stages[0].input: environment variable RUN is not allowed in a topology: only names starting with KASCADE_ are; rename it (e.g. KASCADE_RUN) or ${HOW_TO_ALLOW}`,
  ];
  for (const env of [{}, { RUN: 'r1' }]) {
    assert.deepEqual(lines(catchTopologyError(() => parseTopology(yaml('${RUN}.requests'), FILE, { env }))), expected, JSON.stringify(env));
  }
  const error = catchTopologyError(() => parseTopology(yaml('x', 'home: ${HOME}'), FILE, { env: { HOME: '/home/someone' } }));
  assert.match(error.message, /^topologies\/x\.yaml: description: environment variable HOME is not allowed in a topology/);
  assert.ok(!error.message.includes('/home/someone'), 'the value of a refused name is never read');
});

test('a refused name in a file is reported with the file, every YAML path that uses it and the variable', async () => {
  const error = await rejectsWithTopologyError(loadTopologyFile('refused-variable.yaml', { cwd: FIXTURES, env: { RUN: 'r1' } }));
  const refused = `environment variable RUN is not allowed in a topology: only names starting with KASCADE_ are; rename it (e.g. KASCADE_RUN) or ${HOW_TO_ALLOW}`;
  assert.deepEqual(lines(error), [`refused-variable.yaml: name: ${refused}`, `refused-variable.yaml: stages[0].input: ${refused}`, `refused-variable.yaml: topics["\${RUN}.requests"]: ${refused}`]);
});

test('a default does not make a refused name acceptable, even when the name is unset', () => {
  const error = catchTopologyError(() => parseTopology(yaml('in', '${TEAM:-search}'), FILE, { env: {} }));
  assert.deepEqual(lines(error), [`topologies/x.yaml: description: environment variable TEAM is not allowed in a topology: only names starting with KASCADE_ are; rename it (e.g. KASCADE_TEAM) or ${HOW_TO_ALLOW}`]);
  assert.equal(parseTopology(yaml('in', '$${TEAM:-search}'), FILE, { env: {} }).spec.description, '${TEAM:-search}', 'an escaped reference is text, not a reference');
});

test('names that look like secrets are refused under any allowed prefix, and their values stay out of the error', () => {
  const names = ['KASCADE_DB_PASSWORD', 'KASCADE_API_TOKEN', 'KASCADE_CLIENT_SECRET', 'KASCADE_APIKEY', 'KASCADE_PRIVATE_KEY', 'KASCADE_CREDENTIALS', 'KASCADE_EXPORT_HEADERS', 'TEAM_A_PASSWD'];
  const env = { KASCADE_ENV_PREFIXES: 'TEAM_A_', ...Object.fromEntries(names.map((name) => [name, `value-of-${name}`])) };
  for (const name of names) {
    const error = catchTopologyError(() => parseTopology(yaml('in', `\${${name}}`), FILE, { env }));
    assert.deepEqual(lines(error), [`topologies/x.yaml: description: environment variable ${name} is not allowed in a topology: ${LOOKS_SECRET}`]);
    assert.ok(!JSON.stringify({ message: error.message, problems: error.problems }).includes('value-of-'));
  }
  assert.equal(envAllowList({}).refusal('KAFKA_SASL_PASSWORD')?.includes('looks like a secret'), true, 'the example of the issue: refused as a secret first');
});

test("kascade's own settings are not topology variables", () => {
  for (const name of ['KASCADE_ENV_PREFIXES', 'KASCADE_MODELS_ROOT', 'KASCADE_ALLOW_INSECURE', 'KASCADE_LOG_LEVEL', 'KASCADE_METRICS_PORT']) {
    const error = catchTopologyError(() => parseTopology(yaml('in', `\${${name}:-x}`), FILE, { env: {} }));
    assert.deepEqual(lines(error), [`topologies/x.yaml: description: environment variable ${name} is not allowed in a topology: it is a setting of kascade itself, not a topology variable; use another KASCADE_ name`]);
  }
});

test('KASCADE_ENV_PREFIXES adds prefixes; KASCADE_ stays allowed', () => {
  const env = { KASCADE_ENV_PREFIXES: ' PIPELINE_, TEAM_A_ ', PIPELINE_RUN: 'p', TEAM_A_ENV: 'prod', KASCADE_SUFFIX: 'k' };
  const { spec } = parseTopology(yaml('${PIPELINE_RUN}.${TEAM_A_ENV}.${KASCADE_SUFFIX}'), FILE, { env });
  assert.deepEqual(Object.keys(spec.topics), ['p.prod.k']);
  assert.deepEqual(envAllowList(env).prefixes, ['KASCADE_', 'PIPELINE_', 'TEAM_A_']);

  const error = catchTopologyError(() => parseTopology(yaml('${TEAM_B_ENV}.in'), FILE, { env: { ...env, TEAM_B_ENV: 'b' } }));
  assert.equal(
    lines(error)[0],
    `topologies/x.yaml: topics["\${TEAM_B_ENV}.in"]: environment variable TEAM_B_ENV is not allowed in a topology: only names starting with one of KASCADE_, PIPELINE_, TEAM_A_ are; rename it (e.g. KASCADE_TEAM_B_ENV) or ${HOW_TO_ALLOW}`,
  );
  assert.deepEqual(envAllowList({ KASCADE_ENV_PREFIXES: '' }).prefixes, ['KASCADE_'], 'empty is unset');
});

test('a malformed KASCADE_ENV_PREFIXES is refused at load, naming the variable and the entry', async () => {
  const cases: [string, string][] = [
    ['team-a', 'KASCADE_ENV_PREFIXES: entry 1 "team-a" is not a variable name prefix (capital letters, digits and _, not starting with a digit); expected e.g. KASCADE_ENV_PREFIXES=PIPELINE_,TEAM_A_'],
    ['PIPELINE_,1ST_', 'KASCADE_ENV_PREFIXES: entry 2 "1ST_" is not a variable name prefix (capital letters, digits and _, not starting with a digit); expected e.g. KASCADE_ENV_PREFIXES=PIPELINE_,TEAM_A_'],
    ['PIPELINE_,,TEAM_', 'KASCADE_ENV_PREFIXES: entry 2 is empty; expected e.g. KASCADE_ENV_PREFIXES=PIPELINE_,TEAM_A_'],
    ['PIPELINE_,', 'KASCADE_ENV_PREFIXES: entry 2 is empty; expected e.g. KASCADE_ENV_PREFIXES=PIPELINE_,TEAM_A_'],
  ];
  for (const [value, message] of cases) {
    // Even a topology that references nothing: a bad setting is refused at start, not on first use.
    await assert.rejects(loadTopologyFile('cascade.yaml', { cwd: FIXTURES, env: { KASCADE_ENV_PREFIXES: value } }), (error: unknown) => isKascadeError(error, ErrorCode.ConfigInvalid) && error.message === message, value);
  }
});
