import type { TopologySpec } from './spec.js';
import type { LocatedProblem } from './yaml-path.js';

/** Router rules the shape cannot express: arm names are unique, and the mirror is not named like an arm. */
export function routerProblems(spec: TopologySpec): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  spec.stages.forEach((stage, index) => {
    if (stage.type !== 'router') return;
    const seen = new Map<string, number>();
    stage.arms.forEach((arm, armIndex) => {
      const earlier = seen.get(arm.name);
      if (earlier !== undefined) problems.push({ path: ['stages', index, 'arms', armIndex, 'name'], message: `duplicate arm name "${arm.name}" (also arms[${earlier}])` });
      seen.set(arm.name, armIndex);
    });
    if (stage.mirror !== undefined && seen.has(stage.mirror.name)) {
      problems.push({ path: ['stages', index, 'mirror', 'name'], message: `the mirror is named like arm "${stage.mirror.name}": its copies would be counted as that arm's` });
    }
  });
  return problems;
}
