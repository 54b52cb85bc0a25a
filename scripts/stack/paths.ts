import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Everything the local stack writes lives here (git-ignored); KASCADE_STACK_DIR moves it. */
export const STACK_DIR = resolve(process.env['KASCADE_STACK_DIR'] ?? join(PROJECT_ROOT, '.stack'));

export const stackPaths = {
  cache: join(STACK_DIR, 'cache'),
  data: join(STACK_DIR, 'data'),
  logs: join(STACK_DIR, 'logs'),
  run: join(STACK_DIR, 'run'),
  pom: join(PROJECT_ROOT, 'scripts', 'stack', 'pom.xml'),
} as const;

/** A path as the user should see it: relative to the project when inside it. */
export function shown(path: string): string {
  return path.startsWith(`${PROJECT_ROOT}/`) ? path.slice(PROJECT_ROOT.length + 1) : path;
}
