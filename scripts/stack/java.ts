import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

/** Major version from `java -version` output: `openjdk version "17.0.15"` -> 17, `"1.8.0_402"` -> 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function candidates(): string[] {
  const found: string[] = [];
  const javaHome = process.env['JAVA_HOME'];
  if (javaHome !== undefined && javaHome !== '') found.push(join(javaHome, 'bin', 'java'));
  found.push('java');
  try {
    for (const entry of readdirSync('/usr/lib/jvm').sort()) found.push(join('/usr/lib/jvm', entry, 'bin', 'java'));
  } catch {
    // No system JVM folder: JAVA_HOME and PATH are all there is.
  }
  return found;
}

/** The first Java (JAVA_HOME, PATH, then /usr/lib/jvm/*) whose major version is at least `minMajor`. */
export async function findJava(minMajor: number): Promise<string> {
  const seen: string[] = [];
  for (const java of candidates()) {
    const result = await runCommand(java, ['-version']).catch(() => undefined);
    const major = result === undefined ? undefined : parseJavaMajor(result.output);
    if (major !== undefined && major >= minMajor) return java;
    seen.push(`${java} (${major === undefined ? 'not runnable' : `Java ${major}`})`);
  }
  throw new Error(`no Java ${minMajor} or newer found; tried ${seen.join(', ')}. Install one or set JAVA_HOME.`);
}
