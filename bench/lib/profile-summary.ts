/** The parts of a V8 .cpuprofile the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame comes from: a package, a kascade folder, or Node itself. */
function origin(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const [scopeOrName = '', name = ''] = url.slice(modules + '/node_modules/'.length).split('/');
    return scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName;
  }
  const source = /\/(src|bench)\/([^/]+)\//.exec(url);
  if (source !== null) return `${source[1] ?? ''}/${source[2] ?? ''}`;
  return url.startsWith('node:') ? 'node' : url === '' ? '(v8: gc, idle, native)' : url;
}

function label(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const file = frame.url.includes('/node_modules/') ? frame.url.replace(/^.*\/node_modules\//, '') : frame.url.replace(/^.*\/(src|bench)\//, '$1/');
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${file}${file === '' ? '' : `:${String(frame.lineNumber + 1)}`}`;
}

/** Self time by function (the top `limit`) and by origin, as percentages of all samples. */
export function summarizeProfile(profile: CpuProfile, limit: number): string {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let total = 0;
  for (const [id, time] of selfTime) {
    const node = byNode.get(id);
    if (node === undefined) continue;
    total += time;
    const name = label(node.callFrame);
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    const from = origin(node.callFrame.url);
    byOrigin.set(from, (byOrigin.get(from) ?? 0) + time);
  }
  const rows = (entries: Map<string, number>, count: number): string[] =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, time]) => `${((time / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  return [`self time by function (top ${String(limit)}):`, ...rows(byFunction, limit), '', 'self time by origin:', ...rows(byOrigin, 15), ''].join('\n');
}
