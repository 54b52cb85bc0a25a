import { isAbsolute, resolve } from 'node:path';
import type { TopologySpec } from './spec.js';

/**
 * The folder every model path of a topology lives under: KASCADE_MODELS_ROOT when set (relative
 * to the working directory), else the topology's `modelsRoot` (relative to the topology file),
 * else the topology file's own folder.
 */
export function resolveModelsRoot(spec: Pick<TopologySpec, 'modelsRoot'>, baseDir: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env['KASCADE_MODELS_ROOT'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  if (spec.modelsRoot === undefined) return resolve(baseDir);
  return isAbsolute(spec.modelsRoot) ? spec.modelsRoot : resolve(baseDir, spec.modelsRoot);
}
