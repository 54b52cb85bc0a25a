import { realpathSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import avro from 'avsc';
import { displayPath, NO_PROVENANCE, quoteAt, rawOrValue, type Provenance } from './provenance.js';
import { deadLetterTopicOf, stageInputs, stageOutputs, type KeySpec, type StageSpec, type TopologySpec } from './spec.js';
import { findStageCycles } from './stage-graph.js';
import { inferenceProblems } from './validate-inference.js';
import { routerProblems } from './validate-router.js';
import { TopologyError, type TopologyProblem } from './topology-error.js';
import type { LocatedProblem, YamlPath } from './yaml-path.js';

/**
 * The rules a topology must follow beyond its shape (the zod schema checks the shape): unique
 * stage names, no topic read that nobody writes, no unintended cycle, Avro schema files that
 * exist, parse and stay inside the topology's folder, dead-letter topics kept apart from the
 * data flow, transforms that exist.
 */

/** The transforms a runtime knows: a predicate, a registry (`has` + `names`, like TransformRegistry) or a list. */
export type KnownFunctions = ((name: string) => boolean) | { has(name: string): boolean; names(): readonly string[] } | readonly string[];

export interface ValidateOptions {
  /** For the TopologyError `validateTopology` throws (`topologies/x.yaml`, `<builder>`). */
  readonly file: string;
  /** Folder that relative schema paths are resolved against, and that they may not leave. */
  readonly baseDir: string;
  /** Check transform names when given; without it any name passes (the runtime checks at start). */
  readonly knownFunctions?: KnownFunctions;
  /** Defaults read the file system; tests and tools pass their own. Paths given are absolute. */
  readonly fileExists?: (path: string) => boolean;
  readonly readFile?: (path: string) => string;
  /** Resolves symbolic links, so a link cannot lead a schema path out of baseDir. Default: fs.realpathSync (identity when it fails). */
  readonly realPath?: (path: string) => string;
  /** What came from environment variables (the loader's business): messages show it as written. */
  readonly provenance?: Provenance;
  /** Absolute folder of model files (see resolveModelsRoot); default: baseDir. */
  readonly modelsRoot?: string;
}

/** Every graph problem of an already well-shaped spec. */
export function topologyProblems(spec: TopologySpec, options: ValidateOptions): TopologyProblem[] {
  const provenance = options.provenance ?? NO_PROVENANCE;
  return graphProblems(spec, options).map((problem) => ({ path: displayPath(problem.path, provenance), message: problem.message }));
}

/** Returns the spec when it follows every rule; throws one TopologyError listing all problems otherwise. */
export function validateTopology(spec: TopologySpec, options: ValidateOptions): TopologySpec {
  const problems = topologyProblems(spec, options);
  if (problems.length > 0) throw new TopologyError(options.file, problems);
  return spec;
}

/** The same problems with structured paths (the loader renders them itself). */
export function graphProblems(spec: TopologySpec, options: ValidateOptions): LocatedProblem[] {
  const provenance = options.provenance ?? NO_PROVENANCE;
  const context: Context = { spec, options, provenance, problems: [] };
  checkTopicDeclarations(context);
  checkStageNames(context);
  checkInputsAreWritten(context);
  checkDeadLetterTopics(context);
  checkFunctions(context);
  checkCycles(context);
  context.problems.push(...routerProblems(spec));
  context.problems.push(
    ...inferenceProblems(spec, { modelsRoot: resolve(options.modelsRoot ?? options.baseDir), fileExists: options.fileExists ?? defaultFileExists }),
  );
  // Stable sort into file order (topics, then stage by stage, then the graph as a whole), rule order within.
  const rank = (path: YamlPath): number => (path[0] === 'topics' ? -1 : typeof path[1] === 'number' ? path[1] : Number.MAX_SAFE_INTEGER);
  return context.problems.map((problem, index) => ({ problem, index })).sort((a, b) => rank(a.problem.path) - rank(b.problem.path) || a.index - b.index).map(({ problem }) => problem);
}

interface Context {
  readonly spec: TopologySpec;
  readonly options: ValidateOptions;
  readonly provenance: Provenance;
  readonly problems: LocatedProblem[];
}

const namePath = (index: number): YamlPath => ['stages', index, 'name'];

function stageName(context: Context, index: number): string {
  return quoteAt(namePath(index), context.spec.stages[index]?.name ?? '', context.provenance);
}

/** Each input topic with the path it is written at: `stages[i].input` or `stages[i].input[j]`. */
function inputsWithPaths(stage: StageSpec, index: number): { topic: string; path: YamlPath }[] {
  return typeof stage.input === 'string'
    ? [{ topic: stage.input, path: ['stages', index, 'input'] }]
    : stage.input.map((topic, position) => ({ topic, path: ['stages', index, 'input', position] }));
}

function checkStageNames(context: Context): void {
  const first = new Map<string, number>();
  context.spec.stages.forEach((stage, index) => {
    const earlier = first.get(stage.name);
    if (earlier === undefined) first.set(stage.name, index);
    else context.problems.push({ path: namePath(index), message: `duplicate stage name ${stageName(context, index)} (also stages[${earlier}])` });
  });
}

function checkInputsAreWritten(context: Context): void {
  const written = new Set(context.spec.stages.flatMap((stage) => stageOutputs(stage)));
  context.spec.stages.forEach((stage, index) => {
    for (const { topic, path } of inputsWithPaths(stage, index)) {
      if (written.has(topic) || context.spec.topics[topic]?.external === true) continue;
      context.problems.push({
        path,
        message: `topic ${quoteAt(path, topic, context.provenance)} is read but no stage writes it; declare it under topics with external: true`,
      });
    }
  });
}

function checkCycles(context: Context): void {
  if (context.spec.allowCycles) return;
  for (const cycle of findStageCycles(context.spec)) {
    const names = cycle.map((index) => rawOrValue(namePath(index), context.spec.stages[index]?.name ?? '', context.provenance));
    context.problems.push({ path: ['stages'], message: `cycle ${names.join(' -> ')} (set allowCycles: true if it is intended)` });
  }
}

function checkDeadLetterTopics(context: Context): void {
  const { spec, provenance } = context;
  context.spec.stages.forEach((stage, index) => {
    if ((stage.onError ?? spec.defaults.onError) !== 'dlq') return;
    const topic = deadLetterTopicOf(stage);
    const path: YamlPath = ['stages', index, 'deadLetterTopic'];
    const firstInput = inputsWithPaths(stage, index)[0];
    // Shown as the file spells it: the default is derived from the first input, which may be interpolated.
    const shown =
      stage.deadLetterTopic !== undefined
        ? quoteAt(path, topic, provenance)
        : `${JSON.stringify(firstInput === undefined ? topic : `${rawOrValue(firstInput.path, firstInput.topic, provenance)}.dlq`)} (the default)`;
    spec.stages.forEach((other, otherIndex) => {
      if (stageInputs(other).includes(topic)) {
        context.problems.push({ path, message: `dead-letter topic ${shown} is also read by stage ${stageName(context, otherIndex)}` });
      }
      if (stageOutputs(other).includes(topic)) {
        context.problems.push({ path, message: `dead-letter topic ${shown} is also written by stage ${stageName(context, otherIndex)}` });
      }
    });
  });
}

function registeredNames(known: KnownFunctions): readonly string[] | undefined {
  if (typeof known === 'function') return undefined;
  return 'names' in known ? known.names() : known;
}

function isKnown(known: KnownFunctions, name: string): boolean {
  if (typeof known === 'function') return known(name);
  return 'has' in known ? known.has(name) : known.includes(name);
}

/** The transforms a stage names, with where: a transform stage's function, an inference stage's postprocess steps. */
function transformsOf(stage: StageSpec, index: number): { name: string; path: YamlPath }[] {
  if (stage.type === 'transform') return [{ name: stage.function, path: ['stages', index, 'function'] }];
  if (stage.type === 'inference') return (stage.postprocess ?? []).map((step, position) => ({ name: step.function, path: ['stages', index, 'postprocess', position, 'function'] }));
  return [];
}

function checkFunctions(context: Context): void {
  const known = context.options.knownFunctions;
  context.spec.stages.forEach((stage, index) => {
    for (const { name, path } of transformsOf(stage, index)) {
      if (stage.type === 'inference' && name === STATEFUL_TRANSFORM) {
        context.problems.push({ path, message: `"${STATEFUL_TRANSFORM}" gathers records across the stream: use it as a transform stage's function, not in postprocess` });
        continue;
      }
      if (stage.type === 'transform' && name === STATEFUL_TRANSFORM && (stage.delivery ?? context.spec.defaults.delivery) === 'exactly-once') {
        // Its state is rebuilt by re-reading, which may write a request again: at-least-once only.
        context.problems.push({ path: ['stages', index, 'delivery'], message: `"${STATEFUL_TRANSFORM}" runs at-least-once (after a restart it may write a request again); use delivery: at-least-once` });
      }
      if (known === undefined || isKnown(known, name)) continue;
      const names = registeredNames(known);
      const list = names === undefined ? '' : ` (registered: ${names.length === 0 ? 'none' : [...names].sort().join(', ')})`;
      context.problems.push({ path, message: `unknown transform ${quoteAt(path, name, context.provenance)}${list}` });
    }
  });
}

/** The one built-in that keeps state across records (see runtime/collect-handler). */
const STATEFUL_TRANSFORM = 'collect';

// --- topics and their schema files ---

function defaultFileExists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function defaultRealPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(folder: string, path: string): boolean {
  const rest = relative(folder, path);
  return rest === '' || (!isAbsolute(rest) && rest !== '..' && !rest.startsWith(`..${sep}`));
}

function checkTopicDeclarations(context: Context): void {
  const { spec } = context;
  for (const [topic, declaration] of Object.entries(spec.topics)) {
    const schemaPath: YamlPath = ['topics', topic, 'schema'];
    if (declaration.schema !== undefined) {
      const problem = schemaFileProblem(declaration.schema, rawOrValue(schemaPath, declaration.schema, context.provenance), context.options);
      if (problem !== undefined) context.problems.push({ path: schemaPath, message: problem });
    } else if (declaration.format === 'avro') {
      // Inference stages generate their prediction schema; every other writer needs a file.
      const writer = spec.stages.findIndex((stage) => stage.type !== 'inference' && stageOutputs(stage).includes(topic));
      if (writer !== -1) {
        context.problems.push({ path: schemaPath, message: `required: stage ${stageName(context, writer)} writes this avro topic` });
      }
    }
    checkKeyDeclaration(context, topic, declaration.key);
    if (declaration.colocateFor !== undefined && declaration.key?.format === 'avro') {
      context.problems.push({
        path: ['topics', topic, 'key', 'format'],
        message: 'colocateFor places records by their key before any stage decodes it, which Avro keys (read through the registry) do not allow: use string, json or bytes keys here, or drop colocateFor',
      });
    }
  }
}

function checkKeyDeclaration(context: Context, topic: string, key: KeySpec | undefined): void {
  if (key?.schema === undefined) return;
  const schemaPath: YamlPath = ['topics', topic, 'key', 'schema'];
  if (key.format !== 'avro') {
    context.problems.push({ path: schemaPath, message: `a key schema needs key format avro (it is ${key.format})` });
    return;
  }
  const problem = schemaFileProblem(key.schema, rawOrValue(schemaPath, key.schema, context.provenance), context.options);
  if (problem !== undefined) context.problems.push({ path: schemaPath, message: problem });
}

/** What is wrong with a schema file, or undefined. `shown` is the path as the file spells it. */
function schemaFileProblem(schema: string, shown: string, options: ValidateOptions): string | undefined {
  const baseDir = resolve(options.baseDir);
  const file = resolve(baseDir, schema);
  // Checked before touching the file system: a topology must not make us probe files outside its folder.
  if (!isInside(baseDir, file)) return `file is outside the topology's folder: ${shown}`;
  const exists = options.fileExists ?? defaultFileExists;
  if (!exists(file)) return `file not found: ${shown}`;
  const realPath = options.realPath ?? defaultRealPath;
  if (!isInside(realPath(baseDir), realPath(file))) return `file is outside the topology's folder (through a symbolic link): ${shown}`;
  let text: string;
  try {
    text = (options.readFile ?? ((path: string) => readFileSync(path, 'utf8')))(file);
  } catch (error) {
    return `cannot read file: ${shown}: ${error instanceof Error && 'code' in error ? String(error.code) : 'read failed'}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `not valid JSON: ${shown}: ${error instanceof Error ? error.message : String(error)}`;
  }
  try {
    avro.Type.forSchema(parsed as avro.Schema);
  } catch (error) {
    return `not a valid Avro schema: ${shown}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}
