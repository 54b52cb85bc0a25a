import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;

/** Runs the project's dependency rules over `folder`'s src/ as `npm run lint` does; returns `rule: from` per violation. */
function cruise(folder: string): { code: number | null; violations: string[] } {
  const result = spawnSync(process.execPath, [depcruise, '--config', `${root}.dependency-cruiser.cjs`, 'src'], {
    cwd: folder,
    encoding: 'utf8',
  });
  const violations = [...result.stdout.matchAll(/^\s*error ([\w-]+): (\S+)/gm)].map((match) => `${match[1]!}: ${match[2]!}`);
  return { code: result.status, violations };
}

test('the layering rules catch kafkajs, onnxruntime-node or the OpenTelemetry SDK outside their layer, and import cycles', () => {
  const { code, violations } = cruise(`${root}test/fixtures/layering`);
  assert.notEqual(code, 0, 'lint must fail on this tree');
  assert.deepEqual(
    violations.sort().filter((line) => !line.startsWith('not-to-unresolvable')),
    [
      'kafka-clients-only-in-src-kafka: src/runtime/reads-kafka.ts',
      'kafkajs-only-in-its-adapter: src/kafka/admin/lists-topics.ts',
      'kafkajs-only-in-its-adapter: src/kafka/produce/sends.ts',
      'no-import-cycles: src/topology/spec.ts',
      'onnxruntime-only-in-onnx-handler: src/transforms/runs-onnx.ts',
      'opentelemetry-sdk-only-in-the-cli: src/telemetry/starts-sdk.ts',
    ].sort(),
  );
});

test("the project's own src passes the same rules", () => {
  const { code, violations } = cruise(root);
  assert.deepEqual(violations, []);
  assert.equal(code, 0);
});
