/** What the production image needs from docker/Dockerfile, as rules that return the problems they find. */

export interface Instruction {
  readonly keyword: string;
  readonly text: string;
}

/** Every instruction, comments dropped and continuation lines joined. */
export function dockerfileInstructions(text: string): Instruction[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), text: rest.join(' ') };
    });
}

/** Instructions per build stage (split at FROM); global ARGs before the first FROM belong to none. */
export function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of dockerfileInstructions(text)) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

const find = (stage: readonly Instruction[], keyword: string): Instruction[] => stage.filter((instruction) => instruction.keyword === keyword);

export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const stages = dockerfileStages(text);
  const build = stages[0] ?? [];
  const runtime = stages.at(-1) ?? [];
  if (stages.length < 2) problems.push('not a multi-stage build');
  const buildRuns = find(build, 'RUN').map((instruction) => instruction.text);
  if (!buildRuns.some((run) => /\bnpm ci\b/.test(run))) problems.push('build stage: no npm ci');
  if (!buildRuns.some((run) => /\bnpm run build\b/.test(run))) problems.push('build stage: no npm run build');

  const runtimeRuns = find(runtime, 'RUN').map((instruction) => instruction.text);
  const installs = runtimeRuns.filter((run) => /\bnpm (ci|install|i)\b/.test(run));
  if (installs.length === 0) problems.push('runtime stage: installs no dependencies');
  for (const install of installs) if (!install.includes('--omit=dev')) problems.push(`runtime stage: "${install}" installs dev dependencies`);
  for (const from of find(runtime, 'FROM').concat(find(build, 'FROM'))) {
    if (/alpine/i.test(from.text)) problems.push('an Alpine (musl) base: onnxruntime-node\'s libraries need glibc');
  }
  const args = find(dockerfileInstructions(text), 'ARG').map((instruction) => instruction.text).join(' ');
  if (/alpine/i.test(args)) problems.push('an Alpine (musl) base image argument: onnxruntime-node\'s libraries need glibc');

  const users = find(runtime, 'USER');
  const user = users.at(-1)?.text.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push('runtime stage: runs as root (no non-root USER)');

  const healthchecks = find(runtime, 'HEALTHCHECK');
  const healthcheck = healthchecks.at(-1)?.text ?? '';
  if (!healthcheck.includes('/healthz') || !healthcheck.includes('KASCADE_METRICS_PORT')) problems.push('runtime stage: no HEALTHCHECK on /healthz of KASCADE_METRICS_PORT');
  if (/\b(curl|wget)\b/.test(healthcheck)) problems.push('HEALTHCHECK uses curl/wget, which slim images lack');

  const entrypoint = find(runtime, 'ENTRYPOINT').at(-1)?.text ?? '';
  if (!/^\["node",(\s*"--[^"]+",)*\s*"[^"]*dist\/cli\/main\.js"\]$/.test(entrypoint)) problems.push('runtime stage: ENTRYPOINT is not node dist/cli/main.js in exec form');

  const copies = find(runtime, 'COPY').map((instruction) => instruction.text);
  for (const folder of ['models', 'topologies']) {
    if (!copies.some((copy) => copy.split(/\s+/)[0] === folder)) problems.push(`runtime stage: ${folder}/ is not copied`);
  }
  if (!copies.some((copy) => copy.startsWith('--from=') && copy.includes('dist'))) problems.push('runtime stage: the compiled dist/ is not copied from the build stage');
  for (const stage of [build, runtime]) {
    if (!find(stage, 'COPY').some((copy) => copy.text.split(/\s+/).includes('.npmrc'))) problems.push('a stage installs without .npmrc (onnxruntime-node-install=skip)');
  }
  return problems;
}

/** Sources the Dockerfile copies from the build context (not from another stage). */
export function contextSources(text: string): string[] {
  return dockerfileStages(text)
    .flat()
    .filter((instruction) => instruction.keyword === 'COPY' && !instruction.text.startsWith('--from='))
    .flatMap((instruction) => instruction.text.split(/\s+/).slice(0, -1));
}
