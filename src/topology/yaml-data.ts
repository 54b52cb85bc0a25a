import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Interpolator } from './interpolate.js';
import type { LocatedProblem, YamlPath } from './yaml-path.js';

/**
 * Turns a parsed YAML document into plain data, interpolating every string scalar on the way.
 * We walk the syntax tree ourselves (rather than `doc.toJS()`) because interpolation needs the
 * path of each scalar and whether it was quoted. Aliases are expanded with a cap, so a file
 * cannot blow up memory with nested aliases.
 */

const MAX_ALIAS_EXPANSIONS = 100;

interface Walk {
  readonly doc: Document;
  readonly interpolator: Interpolator;
  readonly problems: LocatedProblem[];
  /** Collections being converted: an alias back to one of them would never end. */
  readonly open: Set<Node>;
  aliases: number;
}

export interface DocumentData {
  readonly data: unknown;
  readonly problems: readonly LocatedProblem[];
}

export function documentData(doc: Document, interpolator: Interpolator): DocumentData {
  const walk: Walk = { doc, interpolator, problems: [], open: new Set(), aliases: 0 };
  return { data: convert(doc.contents, [], walk), problems: walk.problems };
}

function convert(node: unknown, path: YamlPath, walk: Walk): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    walk.aliases += 1;
    if (walk.aliases > MAX_ALIAS_EXPANSIONS) {
      // Said once, where it happened; the expansions after it are skipped.
      if (walk.aliases === MAX_ALIAS_EXPANSIONS + 1) walk.problems.push({ path, message: `too many alias expansions (at most ${MAX_ALIAS_EXPANSIONS})` });
      return null;
    }
    const target = node.resolve(walk.doc);
    if (target === undefined) {
      walk.problems.push({ path, message: `unknown alias *${node.source}` });
      return null;
    }
    if (walk.open.has(target)) {
      walk.problems.push({ path, message: `alias *${node.source} refers to a node that contains it` });
      return null;
    }
    return convert(target, path, walk);
  }
  if (isScalar(node)) {
    const value: unknown = node.value;
    return typeof value === 'string' ? walk.interpolator.value(path, value, node.type === 'PLAIN') : value;
  }
  if (isSeq(node)) {
    walk.open.add(node);
    const items = node.items.map((item, index) => convert(item, [...path, index], walk));
    walk.open.delete(node);
    return items;
  }
  if (isMap(node)) {
    walk.open.add(node);
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = keyOf(pair.key, path, walk);
      if (key === undefined) continue;
      if (Object.hasOwn(out, key)) {
        walk.problems.push({ path: [...path, key], message: 'duplicate key (after interpolation)' });
        continue;
      }
      // defineProperty: a `__proto__` key stays an ordinary (and rejected) key instead of changing the prototype.
      Object.defineProperty(out, key, { value: convert(pair.value, [...path, key], walk), enumerable: true, writable: true, configurable: true });
    }
    walk.open.delete(node);
    return out;
  }
  walk.problems.push({ path, message: 'unsupported YAML node' });
  return null;
}

function keyOf(key: unknown, parent: YamlPath, walk: Walk): string | undefined {
  const node = isAlias(key) ? key.resolve(walk.doc) : key;
  if (isScalar(node)) {
    const value: unknown = node.value;
    if (typeof value === 'string') return walk.interpolator.key(parent, value);
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  }
  walk.problems.push({ path: parent, message: 'map keys must be plain strings' });
  return undefined;
}
