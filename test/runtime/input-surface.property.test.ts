import { inMemoryInputSurface } from '../helpers/input-surface-memory.js';

/** The input-surface property in memory, bounded for `npm test`; the reliability suite runs more. */
inMemoryInputSurface(60);
