import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts one ONNX worker thread, from compiled JavaScript or from TypeScript sources.
 *
 * The entry is onnx-worker.js next to this file when it exists (dist/), else onnx-worker.ts
 * (sources run through tsx). For the .ts entry, `--import tsx` in the worker's execArgv is not
 * enough on Node 20 (checked on 20.20: the entry module is resolved without tsx's hooks,
 * "Unknown file extension .ts"), so a one-line bootstrap registers tsx inside the worker through
 * its API and then imports the entry. tsx is resolved from here, so the current directory does
 * not matter, and it is only looked for when there is no compiled entry.
 */
export function startOnnxWorker(): Worker {
  const compiled = new URL('./onnx-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled);
  const source = new URL('./onnx-worker.ts', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
