import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { Interpolator, type Env } from './interpolate.js';
import { displayPath } from './provenance.js';
import { Topology, type TopologySpec } from './spec.js';
import { TopologyError, type TopologyProblem } from './topology-error.js';
import { resolveModelsRoot } from './models-root.js';
import { graphProblems, type KnownFunctions, type ValidateOptions } from './validate.js';
import { passthroughWarnings } from './validate-passthrough.js';
import { documentData } from './yaml-data.js';
import { isUnder, type LocatedProblem } from './yaml-path.js';
import { problemsFromZod } from './zod-problems.js';

/**
 * YAML text -> validated TopologySpec: parse (syntax errors with line and column), interpolate
 * `${VAR}`, check the shape (zod), then the graph. Each step reports every problem it finds; the
 * first step with problems ends the load with one TopologyError. Nothing in the file is ever
 * evaluated: no custom tags, no merge keys, aliases capped.
 */

export interface LoadOptions {
  /** Variables for `${VAR}`; default process.env. */
  readonly env?: Env;
  /** When given, every transform a stage names must be known. */
  readonly knownFunctions?: KnownFunctions;
  /** Folder relative file paths are taken from; default process.cwd(). */
  readonly cwd?: string;
  /** Folder schema paths are resolved against; default the topology file's folder. */
  readonly baseDir?: string;
  readonly fileExists?: ValidateOptions['fileExists'];
  readonly readFile?: ValidateOptions['readFile'];
  readonly realPath?: ValidateOptions['realPath'];
}

export interface LoadedTopology {
  readonly spec: TopologySpec;
  /** The file as messages name it (relative to cwd when given relative). */
  readonly file: string;
  /** Absolute folder of the file: relative paths in the topology (schema files) are resolved against it. */
  readonly baseDir: string;
  /** Absolute folder model paths are resolved under (see resolveModelsRoot). */
  readonly modelsRoot: string;
  /** What may still go wrong at start, e.g. an Avro input whose passthrough types depend on the schema registry. */
  readonly warnings: readonly TopologyProblem[];
}

export async function loadTopologyFile(path: string, options: LoadOptions = {}): Promise<LoadedTopology> {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, path);
  const file = isAbsolute(path) ? path : relative(cwd, absolute);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown error';
    throw new TopologyError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code})` }]);
  }
  return parseTopology(text, file, { ...options, baseDir: options.baseDir ?? dirname(absolute) });
}

/** Same as loadTopologyFile for text already in memory; `file` names it in messages. */
export function parseTopology(text: string, file: string, options: LoadOptions = {}): LoadedTopology {
  const cwd = options.cwd ?? process.cwd();
  const baseDir = resolve(cwd, options.baseDir ?? dirname(file));

  const lineCounter = new LineCounter();
  // core schema, no merge keys, no custom tags: the file is data and nothing in it is run.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, schema: 'core', merge: false, uniqueKeys: true });
  // Only the first syntax error: the parser's later ones are mostly echoes of it.
  const [firstSyntax] = doc.errors.length > 0 ? doc.errors : doc.warnings;
  if (firstSyntax !== undefined) throw new TopologyError(file, [syntaxProblem(firstSyntax, lineCounter)]);

  const interpolator = new Interpolator(options.env ?? process.env);
  const converted = documentData(doc, interpolator);
  const early = [...interpolator.problems, ...converted.problems];
  let parsed = Topology.safeParse(converted.data);
  if (!parsed.success && interpolator.typeScalars(converted.data, parsed.error.issues)) parsed = Topology.safeParse(converted.data);
  // A scalar whose interpolation failed holds a placeholder: shape errors there would only repeat the problem.
  const shape = parsed.success
    ? []
    : problemsFromZod(parsed.error.issues, Topology, converted.data, interpolator.provenance).filter(
        (problem) => !early.some((known) => isUnder(problem.path, known.path)),
      );
  if (!parsed.success || early.length > 0) throw topologyError(file, [...early, ...shape], interpolator);

  const modelsRoot = resolveModelsRoot(parsed.data, baseDir, options.env ?? process.env);
  const graph = graphProblems(parsed.data, {
    file,
    baseDir,
    modelsRoot,
    provenance: interpolator.provenance,
    ...(options.knownFunctions === undefined ? {} : { knownFunctions: options.knownFunctions }),
    ...(options.fileExists === undefined ? {} : { fileExists: options.fileExists }),
    ...(options.readFile === undefined ? {} : { readFile: options.readFile }),
    ...(options.realPath === undefined ? {} : { realPath: options.realPath }),
  });
  if (graph.length > 0) throw topologyError(file, graph, interpolator);
  const warnings = passthroughWarnings(parsed.data, interpolator.provenance).map((warning) => ({
    path: displayPath(warning.path, interpolator.provenance),
    message: warning.message,
  }));
  return { spec: parsed.data, file, baseDir, modelsRoot, warnings };
}

// Messages quote what the file says (`${KASCADE_X}`) through provenance; the values themselves
// are no secret: the allow-list (env-allow-list.ts) keeps secret-looking variables out of topologies.
function topologyError(file: string, problems: readonly LocatedProblem[], interpolator: Interpolator): TopologyError {
  const { provenance } = interpolator;
  return new TopologyError(
    file,
    problems.map((problem) => ({ path: displayPath(problem.path, provenance), message: problem.message })),
  );
}

function syntaxProblem(error: YAMLError, lineCounter: LineCounter): TopologyProblem {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const message = error.code === 'MULTIPLE_DOCS' ? 'a topology file holds one YAML document (found a second "---")' : error.message;
  return { path: '', message, line, column: col };
}
