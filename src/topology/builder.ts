import type { z } from 'zod';
import { NO_PROVENANCE, displayPath } from './provenance.js';
import { Topology, type Stage, type StageDefaults, type TopicSpec, type TopologyInput, type TopologySpec } from './spec.js';
import { TopologyError } from './topology-error.js';
import { topologyProblems, type ValidateOptions } from './validate.js';
import type { LocatedProblem } from './yaml-path.js';
import { problemsFromZod } from './zod-problems.js';

/**
 * Topologies in TypeScript. The builder only collects what a YAML file would hold, then runs the
 * same zod schema and graph rules, so `build()` returns exactly what loading the equivalent YAML
 * returns. Stages are typed by the schema's stage union: a new stage kind needs no change here.
 *
 *   topology('ads')
 *     .topic('requests', { partitions: 6, external: true })
 *     .stage({ name: 'enrich', type: 'transform', input: 'requests', function: 'enrich', output: 'enriched' })
 *     .build();
 */

export type TopicInput = z.input<typeof TopicSpec>;
export type StageInput = z.input<typeof Stage>;
export type StageDefaultsInput = z.input<typeof StageDefaults>;

/** The file name in a builder's errors. */
export const BUILDER_FILE = '<builder>';

export interface BuildOptions extends Omit<ValidateOptions, 'file' | 'baseDir' | 'provenance'> {
  /** Folder schema paths are resolved against; default process.cwd(). */
  readonly baseDir?: string;
}

interface Draft {
  readonly name: string;
  readonly description?: string;
  readonly topics: readonly (readonly [string, TopicInput])[];
  readonly defaults?: StageDefaultsInput;
  readonly allowCycles?: boolean;
  readonly stages: readonly StageInput[];
}

/** Immutable: every call returns a new builder, so a partial topology can be shared and extended. */
export class TopologyBuilder {
  private constructor(private readonly draft: Draft) {}

  static named(name: string): TopologyBuilder {
    return new TopologyBuilder({ name, topics: [], stages: [] });
  }

  description(text: string): TopologyBuilder {
    return new TopologyBuilder({ ...this.draft, description: text });
  }

  /** Declares a topic (partitions, format, schema, external). Undeclared topics are JSON with one partition. */
  topic(name: string, spec: TopicInput = {}): TopologyBuilder {
    return new TopologyBuilder({ ...this.draft, topics: [...this.draft.topics, [name, spec]] });
  }

  stage(stage: StageInput): TopologyBuilder {
    return new TopologyBuilder({ ...this.draft, stages: [...this.draft.stages, stage] });
  }

  defaults(defaults: StageDefaultsInput): TopologyBuilder {
    return new TopologyBuilder({ ...this.draft, defaults });
  }

  allowCycles(allow = true): TopologyBuilder {
    return new TopologyBuilder({ ...this.draft, allowCycles: allow });
  }

  /** What a YAML file would hold (defaults not applied), e.g. to write one out. */
  toInput(): TopologyInput {
    const { name, description, defaults, allowCycles, stages } = this.draft;
    const topics: Record<string, TopicInput> = {};
    for (const [topic, spec] of this.draft.topics) {
      // defineProperty: a topic called `__proto__` stays a key (and fails validation) like in YAML.
      Object.defineProperty(topics, topic, { value: spec, enumerable: true, writable: true, configurable: true });
    }
    return {
      name,
      ...(description === undefined ? {} : { description }),
      ...(this.draft.topics.length === 0 ? {} : { topics }),
      ...(defaults === undefined ? {} : { defaults }),
      ...(allowCycles === undefined ? {} : { allowCycles }),
      stages: [...stages],
    };
  }

  /** Validates like the YAML loader; throws a TopologyError (file `<builder>`) listing every problem. */
  build(options: BuildOptions = {}): TopologySpec {
    const input = this.toInput();
    const problems: LocatedProblem[] = this.duplicateTopics();
    const parsed = Topology.safeParse(input);
    if (!parsed.success) problems.push(...problemsFromZod(parsed.error.issues, Topology, input, NO_PROVENANCE));
    if (problems.length > 0 || !parsed.success) {
      throw new TopologyError(
        BUILDER_FILE,
        problems.map((problem) => ({ path: displayPath(problem.path, NO_PROVENANCE), message: problem.message })),
      );
    }
    const { baseDir, ...rest } = options;
    const graph = topologyProblems(parsed.data, { ...rest, file: BUILDER_FILE, baseDir: baseDir ?? process.cwd() });
    if (graph.length > 0) throw new TopologyError(BUILDER_FILE, graph);
    return parsed.data;
  }

  /** YAML rejects a key given twice; so does the builder, rather than keeping the last one silently. */
  private duplicateTopics(): LocatedProblem[] {
    const seen = new Set<string>();
    const problems: LocatedProblem[] = [];
    for (const [topic] of this.draft.topics) {
      if (seen.has(topic)) problems.push({ path: ['topics', topic], message: 'topic declared twice' });
      seen.add(topic);
    }
    return problems;
  }
}

/** Starts a topology in code; see TopologyBuilder. */
export function topology(name: string): TopologyBuilder {
  return TopologyBuilder.named(name);
}
