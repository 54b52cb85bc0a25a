import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { loadTopologyFile } from '../../src/topology/load.js';
import { fromRoot, readText } from './deployment-files.js';
import { contextSources, dockerfileProblems } from './dockerfile-rules.js';

const dockerfile = readText('docker/Dockerfile');

test('the Dockerfile: multi-stage, production-only install, non-root, /healthz check, kascade entrypoint, models and topologies', () => {
  assert.deepEqual(dockerfileProblems(dockerfile), []);
});

test('the image runs the CLI with the node flags of its launcher line', () => {
  const launcher = readText('src/cli/main.ts').split('\n')[0] ?? '';
  const launcherFlags = /^#!\/usr\/bin\/env -S node((?: --[^ ]+)*)$/.exec(launcher)?.[1]?.trim().split(' ') ?? [];
  assert.ok(launcherFlags.length > 0, `the launcher line names node flags: ${launcher}`);
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]';
  assert.deepEqual(JSON.parse(entrypoint), ['node', ...launcherFlags, '/app/dist/cli/main.js']);
});

test('the Dockerfile rules find what a broken Dockerfile gets wrong', () => {
  const cases: readonly (readonly [string, string, string])[] = [
    ['USER node', 'USER root', 'runtime stage: runs as root (no non-root USER)'],
    ['npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts', 'runtime stage: "npm ci --ignore-scripts && npm cache clean --force" installs dev dependencies'],
    ['COPY topologies ./topologies', '', 'runtime stage: topologies/ is not copied'],
    ['node:20-bookworm-slim', 'node:20-alpine', 'an Alpine (musl) base image argument: onnxruntime-node\'s libraries need glibc'],
    ['ENTRYPOINT ["node", "--max-semi-space-size=64", "/app/dist/cli/main.js"]', 'ENTRYPOINT ["npm", "start"]', 'runtime stage: ENTRYPOINT is not node dist/cli/main.js in exec form'],
  ];
  for (const [from, to, problem] of cases) {
    assert.ok(dockerfile.includes(from), `the Dockerfile has "${from}"`);
    assert.deepEqual(dockerfileProblems(dockerfile.replace(from, to)), [problem]);
  }
  const withoutHealthcheck = dockerfile.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '');
  assert.deepEqual(dockerfileProblems(withoutHealthcheck), ['runtime stage: no HEALTHCHECK on /healthz of KASCADE_METRICS_PORT']);
});

test('onnxruntime-node ships its CPU linux binaries inside the npm package, so the install script can stay skipped', () => {
  assert.match(readText('.npmrc'), /^onnxruntime-node-install=skip$/m);
  for (const arch of ['x64', 'arm64']) {
    for (const file of ['onnxruntime_binding.node', 'libonnxruntime.so.1']) {
      assert.ok(existsSync(fromRoot(`node_modules/onnxruntime-node/bin/napi-v6/linux/${arch}/${file}`)), `linux/${arch}/${file}`);
    }
  }
});

test('.dockerignore keeps everything the Dockerfile copies and leaves out node_modules, dist and the local stack', () => {
  const rules = readText('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  assert.equal(rules[0], '*', 'everything is excluded first, then re-included');
  const included = new Set(rules.filter((rule) => rule.startsWith('!')).map((rule) => rule.slice(1)));
  for (const source of contextSources(dockerfile)) assert.ok(included.has(source.replace(/\/$/, '')), `${source} is in the build context`);
  for (const excluded of ['node_modules', 'dist', '.stack', '.git']) assert.ok(!included.has(excluded), excluded);
});

test('what the demo topology references is inside the folders the image copies', async () => {
  const { spec, baseDir, modelsRoot } = await loadTopologyFile(fromRoot('topologies/demo.yaml'));
  assert.equal(baseDir, fromRoot('topologies'));
  assert.equal(modelsRoot, fromRoot('models'));
  const schemas = Object.values(spec.topics).flatMap((topic) => (topic.schema === undefined ? [] : [topic.schema]));
  assert.ok(schemas.length > 0);
  for (const schema of schemas) assert.ok(existsSync(fromRoot(`topologies/${schema}`)), schema);
  assert.ok(existsSync(fromRoot('topologies/data/ad-catalog.json')));
  assert.ok(existsSync(fromRoot('models/demo-world.json')), 'the simulators\' world');
});
