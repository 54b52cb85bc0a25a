import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Everything the local stack writes lives here (git-ignored); KASCADE_STACK_DIR moves it. */
export const STACK_DIR = resolve(process.env['KASCADE_STACK_DIR'] ?? join(PROJECT_ROOT, '.stack'));

/** Where a stack rooted at `dir` keeps its data, logs and pid files. */
export function stateDirs(dir: string): { readonly data: string; readonly logs: string; readonly run: string } {
  return { data: join(dir, 'data'), logs: join(dir, 'logs'), run: join(dir, 'run') };
}

export const stackPaths = {
  ...stateDirs(STACK_DIR),
  // Downloads are shared by every stack (a second broker for fault tests reuses the jars).
  cache: join(STACK_DIR, 'cache'),
  pom: join(PROJECT_ROOT, 'scripts', 'stack', 'pom.xml'),
} as const;

/** A path as the user should see it: relative to the project when inside it. */
export function shown(path: string): string {
  return path.startsWith(`${PROJECT_ROOT}/`) ? path.slice(PROJECT_ROOT.length + 1) : path;
}
