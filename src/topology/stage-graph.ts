import { stageInputs, stageOutputs, type StageSpec } from './spec.js';

/**
 * Stages connected through topics: an edge a -> b when a writes a topic b reads. Works on stage
 * indexes so callers can point at `stages[i]`; every result is deterministic (index order).
 */

interface HasStages {
  readonly stages: readonly StageSpec[];
}

/** successors[i]: indexes of the stages that read what stage i writes, ascending. */
export function stageSuccessors(spec: HasStages): number[][] {
  const readers = new Map<string, number[]>();
  spec.stages.forEach((stage, index) => {
    for (const topic of stageInputs(stage)) readers.set(topic, [...(readers.get(topic) ?? []), index]);
  });
  return spec.stages.map((stage) => [...new Set(stageOutputs(stage).flatMap((topic) => readers.get(topic) ?? []))].sort((a, b) => a - b));
}

/** Sources first; among stages that are ready at the same time, file order. Stages on a cycle come last, in file order. */
export function topologicalStageOrder(spec: HasStages): number[] {
  const successors = stageSuccessors(spec);
  const incoming = spec.stages.map(() => 0);
  for (const next of successors) for (const target of next) incoming[target] = (incoming[target] ?? 0) + 1;
  const ready = incoming.flatMap((count, index) => (count === 0 ? [index] : []));
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const index = ready.shift();
    if (index === undefined) break;
    order.push(index);
    for (const target of successors[index] ?? []) {
      incoming[target] = (incoming[target] ?? 0) - 1;
      if (incoming[target] === 0) ready.push(target);
    }
  }
  const placed = new Set(order);
  return [...order, ...spec.stages.map((_, index) => index).filter((index) => !placed.has(index))];
}

/**
 * One cycle per strongly connected group of stages (a stage reading its own output counts): the
 * shortest way from the group's first stage back to itself, e.g. [0, 2, 0].
 */
export function findStageCycles(spec: HasStages): number[][] {
  const successors = stageSuccessors(spec);
  return stronglyConnected(successors)
    .filter((group) => group.length > 1 || (successors[group[0] ?? -1] ?? []).includes(group[0] ?? -1))
    .map((group) => shortestCycle(Math.min(...group), new Set(group), successors))
    .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
}

function shortestCycle(start: number, group: ReadonlySet<number>, successors: readonly (readonly number[])[]): number[] {
  const previous = new Map<number, number>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() ?? start;
    for (const next of successors[node] ?? []) {
      if (!group.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at) ?? start) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's algorithm, iterative so a long chain of stages cannot overflow the stack. */
function stronglyConnected(successors: readonly (readonly number[])[]): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const stack: number[] = [];
  const onStack = new Set<number>();
  const groups: number[][] = [];
  let counter = 0;
  for (let root = 0; root < successors.length; root++) {
    if (index.has(root)) continue;
    const work: { node: number; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const targets = successors[frame.node] ?? [];
      if (frame.next < targets.length) {
        const target = targets[frame.next++] ?? 0;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(target) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const group: number[] = [];
        for (;;) {
          const member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          group.push(member);
          if (member === frame.node) break;
        }
        groups.push(group.sort((a, b) => a - b));
      }
    }
  }
  return groups;
}
