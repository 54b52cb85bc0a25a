import { redactor, secretsInEnvironment, SECRET_FIELD, type Redactor } from './redaction.js';

/** The logging the runtime needs. The CLI supplies a JSON-lines logger; tests can capture or silence it. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * One JSON object per line on `write` (stderr by default), at or above `level`. Secrets never
 * reach the line: fields named like one are masked, and `redact` (by default: URL user info and
 * the values of the process's secret variables) rewrites the message and every text field.
 */
export function jsonLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
  redact: Redactor = redactor(secretsInEnvironment(process.env)),
): Logger {
  const clean = (fields: LogFields): Record<string, string | number | boolean | undefined> =>
    Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, SECRET_FIELD.test(key) ? '***' : typeof value === 'string' ? redact(value) : value]));
  const emit = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields: LogFields = {}) => {
    if (RANK[at] < RANK[level]) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: at, msg: redact(message), ...clean(base), ...clean(fields) })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = jsonLogger('silent');
