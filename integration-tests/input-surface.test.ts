import { test } from 'node:test';
import { inputSurfaceOnBroker } from './helpers/input-surface-broker.js';
import { testKafka } from './helpers/kafka.js';

/** The input-surface property on the real broker, bounded for `npm test` (the reliability suite runs more). */
test('1,000 generated records per stage kind on the real broker: each in the output or the dead-letter topic exactly once, key and headers byte-identical', async (context) => {
  const seed = Number(process.env['KASCADE_PROPERTY_SEED'] ?? Date.now() % 2 ** 31);
  context.diagnostic(`seed ${seed} (KASCADE_PROPERTY_SEED reproduces a run)`);
  context.diagnostic(await inputSurfaceOnBroker(testKafka('input-surface'), 1000, seed));
});
