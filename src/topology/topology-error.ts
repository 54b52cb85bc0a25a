import { ErrorCode, KascadeError } from '../errors.js';

/** One thing wrong with a topology. */
export interface TopologyProblem {
  /** YAML path (`stages[2].input`, `topics.clicks.schema`); empty for the whole document or a syntax error. */
  readonly path: string;
  /** Never holds a value that came from an environment variable. */
  readonly message: string;
  /** Set for YAML syntax errors, which have a position but no path (1-based). */
  readonly line?: number;
  readonly column?: number;
}

/** `file: path: message`, `file: message` (whole document) or `file:line:col: message` (syntax). */
export function formatProblem(file: string, problem: TopologyProblem): string {
  if (problem.line !== undefined) return `${file}:${problem.line}:${problem.column ?? 1}: ${problem.message}`;
  return problem.path === '' ? `${file}: ${problem.message}` : `${file}: ${problem.path}: ${problem.message}`;
}

/**
 * A topology that cannot run. It carries every problem found, not just the first, so one
 * `kascade validate` shows the user all there is to fix.
 */
export class TopologyError extends KascadeError {
  /** `topologies/x.yaml`, or `<builder>` for topologies built in code. */
  readonly file: string;
  readonly problems: readonly TopologyProblem[];

  constructor(file: string, problems: readonly TopologyProblem[]) {
    super(ErrorCode.TopologyInvalid, problems.map((problem) => formatProblem(file, problem)).join('\n'));
    this.name = 'TopologyError';
    this.file = file;
    this.problems = Object.freeze([...problems]);
  }
}
