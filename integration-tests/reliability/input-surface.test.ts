import { test } from 'node:test';
import { inMemoryInputSurface } from '../../test/helpers/input-surface-memory.js';
import { inputSurfaceOnBroker } from '../helpers/input-surface-broker.js';
import { testKafka } from '../helpers/kafka.js';

/** The input-surface property at length: more generated batches in memory, more records on the broker, than `npm test` runs. */
inMemoryInputSurface(400);

test('5,000 generated records per stage kind on the real broker: each in the output or the dead-letter topic exactly once, key and headers byte-identical', async (context) => {
  const seed = Number(process.env['KASCADE_PROPERTY_SEED'] ?? Date.now() % 2 ** 31);
  context.diagnostic(`seed ${seed} (KASCADE_PROPERTY_SEED reproduces a run)`);
  context.diagnostic(await inputSurfaceOnBroker(testKafka('input-surface-long'), 5000, seed));
});
