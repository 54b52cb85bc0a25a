import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { featuresFor, logistic, readWeights } from '../test/helpers/ctr-model.js';
import { testKafka } from './helpers/kafka.js';
import { InferenceFixture, requests } from './helpers/in-process.js';
import { decodeAvro, readAll, waitForRecords } from './helpers/read-topic.js';
import { waitFor } from './helpers/wait-for.js';

const kafka = testKafka('hot-reload');
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];

const versionOf = (file: string): string => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12)}`;

/** Replaces a file the way deploy tools do: write beside it, then rename over it. */
function publish(target: string, bytes: Buffer): void {
  writeFileSync(`${target}.next`, bytes);
  renameSync(`${target}.next`, target);
}

test('hot reload under load: the new version takes over between batches, nothing is lost, and a corrupt file leaves the current version serving', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kascade-models-'));
  const model = join(root, 'model.onnx');
  copyFileSync('models/ctr-logreg.onnx', model);
  // The fixture's other stage is validated too, so its models must be under this root as well.
  for (const cohort of ['a', 'b', 'c', 'd']) copyFileSync(`models/ctr-cohort-${cohort}.onnx`, join(root, `ctr-cohort-${cohort}.onnx`));
  const champion = versionOf('models/ctr-logreg.onnx');
  const challenger = versionOf('models/ctr-challenger.onnx');
  const fixture = new InferenceFixture({ KASCADE_MODELS: root, KASCADE_MODEL_FILE: 'model.onnx' });
  const running = await fixture.start('score');
  try {
    const first = requests(600, USERS, 'a');
    await fixture.produce(kafka, fixture.topic('requests'), first);
    await waitForRecords(kafka, fixture.topic('predictions'), 300);

    // While records keep coming, the challenger's bytes replace the file.
    const during = requests(1200, USERS, 'b', 1000);
    const producing = (async () => {
      for (let start = 0; start < during.length; start += 100) await fixture.produce(kafka, fixture.topic('requests'), during.slice(start, start + 100));
    })();
    publish(model, readFileSync('models/ctr-challenger.onnx'));
    await producing;
    await waitFor(() => fixture.logs.some((line) => line.includes('"msg":"model reloaded"') && line.includes(challenger)), { what: 'the reload to the challenger' });

    // A corrupt replacement: reported, and the challenger keeps serving.
    publish(model, Buffer.from('this is not an onnx model'));
    await waitFor(() => Number(running.stats()['score']!['models.reloadFailures']) === 1, { what: 'the failed reload to be counted' });
    const after = requests(300, USERS, 'c', 5000);
    await fixture.produce(kafka, fixture.topic('requests'), after);

    const all = [...first, ...during, ...after];
    await waitForRecords(kafka, fixture.topic('predictions'), all.length);
    const predictions = await decodeAvro<{ id: string; modelVersion: string; probability: number }>(await readAll(kafka, fixture.topic('predictions')));
    assert.deepEqual(predictions.map((prediction) => prediction.id).sort(), all.map((request) => request.id).sort(), 'every request scored once');

    const weights = new Map([
      [champion, readWeights('ctr-logreg')],
      [challenger, readWeights('ctr-challenger')],
    ]);
    const byId = new Map(all.map((request) => [request.id, request]));
    for (const prediction of predictions) {
      const used = weights.get(prediction.modelVersion);
      assert.ok(used !== undefined, `unknown version ${prediction.modelVersion}`);
      assert.ok(Math.abs(prediction.probability - logistic(used, featuresFor(byId.get(prediction.id)!.index))) < 1e-5, `${prediction.id} matches the version it names`);
    }
    const versionsOf = (prefix: string) => new Set(predictions.filter((prediction) => prediction.id.startsWith(prefix)).map((prediction) => prediction.modelVersion));
    assert.ok(versionsOf('a-').has(champion), 'the first records were scored by the champion');
    assert.deepEqual(versionsOf('c-'), new Set([challenger]), 'after the corrupt file, the challenger still serves');
    assert.ok(fixture.logs.some((line) => line.includes('"msg":"model reload failed; the loaded version keeps serving"')));
  } finally {
    await running.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
